import { expect } from "chai";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { gtinCheckDigit } from "../../src/products";
import { addMemberThroughGateway, client, delivery, startTestGateway, type TestGateway } from "../gateway/helpers";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

const gtin13 = (body12: string) => `${body12}${gtinCheckDigit(body12)}`;

function decodePng(bytes: Buffer): string | null {
  const png = PNG.sync.read(bytes);
  return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength), png.width, png.height)?.data ?? null;
}

describe("products and QR codes over HTTP (real gateway)", function () {
  // A gateway start (and the seed) on a loaded machine: well above mocha's default.
  this.timeout(300_000);
  let dir: string;
  let running: TestGateway;
  let coop: Awaited<ReturnType<typeof addMemberThroughGateway>>;
  let brand: Awaited<ReturnType<typeof addMemberThroughGateway>>;
  let lotId: string;
  let keys = 0;
  const key = () => ({ "idempotency-key": `origins-${++keys}` });
  const api = (token?: string) => client(running.gateway.url, token);

  before(async function () {
    dir = makeTempDir("origin-routes");
    running = await startTestGateway(dir, { FIRSTMILE_PUBLIC_URL: "https://trace.example.org/" });
    coop = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID" });
    brand = await addMemberThroughGateway(running.gateway, { roles: ["brand"], country: "NL" });
    const accepted = await api(coop.token).post("/v1/lots/mint", delivery(120_000), key());
    const { final } = await api(coop.token).settle(accepted.body.id);
    expect(final.status).to.equal("mined");
    lotId = final.outputs.lotIds[0];
    await running.gateway.indexer.waitForBlock(Number(final.transaction.blockNumber));
  });
  after(async function () {
    await running?.gateway.stop();
    removeTempDir(dir);
  });

  describe("POST /v1/products", function () {
    const gtin = gtin13("899999900001");

    it("lets the lot's custodian name it; the answer carries the Digital Link page URL", async function () {
      const named = await api(coop.token).post("/v1/products", { gtin, batch: "KOP-24/07", lotId, name: "Sulawesi wet beans" });
      expect(named.status).to.equal(201);
      expect(named.body).to.deep.include({ gtin: `0${gtin}`, batch: "KOP-24/07", lotId, name: "Sulawesi wet beans" });
      expect(named.body.url).to.equal(`https://trace.example.org/01/0${gtin}/10/KOP-24%2F07`);
    });

    it("refuses a wrong check digit naming the expected one, an unknown lot, and another member's lot", async function () {
      const wrong = `${gtin.slice(0, -1)}${(Number(gtin.at(-1)) + 1) % 10}`;
      const badDigit = await api(coop.token).post("/v1/products", { gtin: wrong, batch: "B1", lotId });
      expect(badDigit.status).to.equal(400);
      expect(badDigit.body.error.message).to.contain(`expected ${gtin.at(-1)}`);
      const unknown = await api(coop.token).post("/v1/products", { gtin, batch: "B2", lotId: "999999999999" });
      expect(unknown.status).to.equal(404);
      expect((await api(coop.token).post("/v1/products", { gtin, batch: "B2", lotId: "9".repeat(30) })).status).to.equal(404);
      const foreign = await api(brand.token).post("/v1/products", { gtin, batch: "B3", lotId });
      expect(foreign.status).to.equal(403);
      expect(foreign.body.error.message).to.contain(`held by member ${coop.memberId}`);
    });

    it("keeps a GTIN and batch on the lot it first named", async function () {
      const accepted = await api(coop.token).post("/v1/lots/mint", delivery(5_000), key());
      const { final } = await api(coop.token).settle(accepted.body.id);
      await running.gateway.indexer.waitForBlock(Number(final.transaction.blockNumber));
      const clash = await api(coop.token).post("/v1/products", { gtin, batch: "KOP-24/07", lotId: final.outputs.lotIds[0] });
      expect(clash.status).to.equal(409);
    });
  });

  describe("GET .../qr.svg|qr.png", function () {
    it("draws a lot's page URL under the public base, and it decodes back", async function () {
      const png = await fetch(`${running.gateway.url}/l/${lotId}/qr.png`);
      expect(png.status).to.equal(200);
      expect(png.headers.get("content-type")).to.equal("image/png");
      expect(png.headers.get("cache-control")).to.contain("max-age");
      expect(decodePng(Buffer.from(await png.arrayBuffer()))).to.equal(`https://trace.example.org/l/${lotId}`);
      const svg = await fetch(`${running.gateway.url}/l/${lotId}/qr.svg`);
      expect(svg.headers.get("content-type")).to.match(/^image\/svg\+xml/);
      expect(await svg.text()).to.match(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    });

    it("draws a product's GS1 Digital Link, and answers a repeat scan with 304", async function () {
      const gtin = gtin13("899999900001");
      const path = `/01/${gtin}/10/${encodeURIComponent("KOP-24/07")}/qr.png`;
      const first = await fetch(`${running.gateway.url}${path}`);
      expect(first.status).to.equal(200);
      expect(decodePng(Buffer.from(await first.arrayBuffer()))).to.equal(`https://trace.example.org/01/0${gtin}/10/KOP-24%2F07`);
      const etag = first.headers.get("etag")!;
      const repeat = await fetch(`${running.gateway.url}${path}`, { headers: { "if-none-match": etag } });
      expect(repeat.status).to.equal(304);
    });

    it("answers 404 with the reason for an unknown lot, a wrong check digit and an unknown batch", async function () {
      const unknownLot = await api().get("/l/987654321/qr.svg");
      expect(unknownLot.status).to.equal(404);
      expect(unknownLot.body.error.message).to.contain("no lot 987654321");
      expect((await api().get(`/l/${"9".repeat(30)}/qr.png`)).status).to.equal(404);
      const gtin = gtin13("899999900001");
      const wrong = `${gtin.slice(0, -1)}${(Number(gtin.at(-1)) + 1) % 10}`;
      const badDigit = await api().get(`/01/${wrong}/10/KOP/qr.png`);
      expect(badDigit.status).to.equal(404);
      expect(badDigit.body.error.message).to.contain(`expected ${gtin.at(-1)}`);
      expect((await api().get(`/01/${gtin}/10/NOPE/qr.png`)).status).to.equal(404);
      expect((await api().get(`/l/${lotId}/qr.gif`)).status).to.equal(404);
    });
  });
});
