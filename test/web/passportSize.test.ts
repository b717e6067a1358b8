import { expect } from "chai";
import { registerPlot } from "../../src/origins";
import type { LotPassport } from "../../src/web/passport/types";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { addMemberThroughGateway, client, startTestGateway, type TestGateway } from "../gateway/helpers";

const DISTRICTS = [
  { province: "Sulawesi Tengah", district: "Parigi Moutong", lon: 120.2 },
  { province: "Sulawesi Tengah", district: "Poso", lon: 120.6 },
  { province: "Sulawesi Selatan", district: "Luwu Utara", lon: 120.3 },
  { province: "Sulawesi Tenggara", district: "Kolaka Utara", lon: 121.0 },
];

describe("public lot page of a lot made from 1,000 deliveries (real gateway)", function () {
  let dir: string;
  let running: TestGateway;
  let lotId: string;
  let keys = 0;
  const key = () => ({ "idempotency-key": `size-${++keys}` });

  before(async function () {
    this.timeout(600_000);
    dir = makeTempDir("web-passport-size");
    running = await startTestGateway(dir);
    const coop = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID" });
    const api = client(running.gateway.url, coop.token);
    const mined = async (path: string, body: unknown) => {
      const answer = await api.post(path, body, key());
      expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
      const { final } = await api.settle(answer.body.id, 120_000);
      expect(final.status, JSON.stringify(final.error)).to.equal("mined");
      return final;
    };
    const commitments: string[] = [];
    for (let i = 0; i < 80; i++) {
      const d = DISTRICTS[i % DISTRICTS.length]!;
      // Six decimals, as a plot outline needs (EUDR).
      const lon = d.lon + i * 0.001 + 0.000013;
      const lat = -1.5 - i * 0.001 - 0.000027;
      const plot = await registerPlot(running.gateway.db, {
        memberId: BigInt(coop.memberId),
        farmerRef: `F-${i}`,
        geometry: { type: "Polygon", coordinates: [[[lon, lat], [lon + 0.0008, lat], [lon + 0.0008, lat + 0.0008], [lon, lat + 0.0008], [lon, lat]]] },
        country: "ID",
        province: d.province,
        district: d.district,
      });
      commitments.push(plot.commitment);
    }
    const metadata = `0x${"ab".repeat(32)}`;
    const halves: string[] = [];
    for (let half = 0; half < 2; half++) {
      const deliveries = Array.from({ length: 500 }, (_, i) => ({ form: 1, grams: String(20_000 + ((half * 500 + i) % 97) * 100), metadata, origin: commitments[(half * 500 + i) % commitments.length]! }));
      const minted = await mined("/v1/lots/mint-batch", { deliveries });
      halves.push((await mined("/v1/lots/merge", { lotIds: minted.outputs.lotIds, metadata })).outputs.lotIds[0]);
    }
    const final = await mined("/v1/lots/merge", { lotIds: halves, metadata });
    lotId = final.outputs.lotIds[0];
    await running.gateway.indexer.waitForBlock(Number(final.transaction.blockNumber));
  });
  after(async function () {
    await running?.gateway.stop();
    removeTempDir(dir);
  });

  it("stays under 30 KB, summarised by district, verified against the chain", async function () {
    const timings: number[] = [];
    let html = "";
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const response = await fetch(`${running.gateway.url}/l/${lotId}`);
      html = await response.text();
      timings.push(performance.now() - started);
      expect(response.status).to.equal(200);
    }
    const bytes = Buffer.byteLength(html);
    console.log(`      page of a lot from 1,000 deliveries: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KB); rendered in ${timings.map((t) => t.toFixed(0)).join(", ")} ms`);
    expect(bytes).to.be.below(30 * 1024);
    expect(html).to.include("1,000 farm deliveries");
    expect(html).to.include("80 plots");
    for (const d of DISTRICTS) expect(html).to.include(d.district);
    expect(html).to.include("Verified against the blockchain");
    expect(html).to.include("1,003 lots");

    const started = performance.now();
    const twin = (await (await fetch(`${running.gateway.url}/l/${lotId}?format=json`)).json()) as LotPassport;
    console.log(`      its JSON twin: ${twin.lots.length} lots in ${(performance.now() - started).toFixed(0)} ms`);
    expect(twin.lots).to.have.length(1003);
    expect(twin.verification).to.include({ ok: true, lotsChecked: 1003 });
  });
});
