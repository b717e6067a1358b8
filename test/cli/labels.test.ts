import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { expect } from "chai";
import { Command } from "commander";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { LabelsUsageError, registerLabelsCommand } from "../../src/cli/commands/labels";
import { gtinCheckDigit } from "../../src/products";
import { addMemberThroughGateway, client, delivery, startTestGateway, type TestGateway } from "../gateway/helpers";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

/** Runs `firstmile labels ...` in-process and returns what it printed. */
async function firstmile(env: Record<string, string>, cwd: string, ...args: string[]): Promise<string> {
  const stdout = new PassThrough();
  const printed: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => printed.push(chunk));
  const program = new Command("firstmile").exitOverride();
  registerLabelsCommand(program, { env, cwd, stdout });
  await program.parseAsync(["node", "firstmile", ...args]);
  return Buffer.concat(printed).toString("utf8");
}

/** Every QR code of a sheet: its URL attribute and what a decoder reads from its drawn path. */
function qrCodesOf(svg: string): Array<{ url: string; decoded: string | null }> {
  return [...svg.matchAll(/<g class="qr" data-url="([^"]+)"[^>]*>\n<rect width="(\d+)"[^>]*\/><path d="([^"]+)"/g)].map(([, url, size, d]) => {
    const scale = 4;
    const side = Number(size) * scale;
    const png = new PNG({ width: side, height: side });
    png.data.fill(255);
    for (const [, x, y, w] of d!.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < Number(w) * scale; dx++) {
          const offset = ((Number(y) * scale + dy) * side + Number(x) * scale + dx) * 4;
          png.data[offset] = png.data[offset + 1] = png.data[offset + 2] = 0;
        }
      }
    }
    const decoded = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength), side, side)?.data ?? null;
    return { url: url!.replace(/&amp;/g, "&"), decoded };
  });
}

describe("firstmile labels (CLI)", function () {
  // A gateway start (and the seed) on a loaded machine: well above mocha's default.
  this.timeout(300_000);
  let dir: string;
  let running: TestGateway | null = null;
  let lotIds: string[];
  const gtin = `871234560099${gtinCheckDigit("871234560099")}`;

  before(async function () {
    dir = makeTempDir("cli-labels");
    running = await startTestGateway(path.join(dir, "data"), { FIRSTMILE_LOG_LEVEL: "silent" });
    const coop = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID" });
    const api = client(running.gateway.url, coop.token);
    const accepted = await api.post("/v1/lots/mint-batch", { deliveries: [delivery(61_250), delivery(48_000), delivery(1_500, 21)] }, { "idempotency-key": "labels-1" });
    const { final } = await api.settle(accepted.body.id);
    lotIds = final.outputs.lotIds;
    await running.gateway.indexer.waitForBlock(Number(final.transaction.blockNumber));
    expect((await api.post("/v1/products", { gtin, batch: "KKLS-07", lotId: lotIds[1] })).status).to.equal(201);
  });
  after(async function () {
    await running?.gateway.stop();
    removeTempDir(dir);
  });

  it("writes an A4 sheet with one decodable QR code per lot, through the running gateway", async function () {
    const printed = await firstmile(running!.env, dir, "labels", "--lots", lotIds.join(","), "--out", "sacks.svg");
    expect(printed).to.contain("3 labels on 1 A4 sheet");
    const svg = fs.readFileSync(path.join(dir, "sacks.svg"), "utf8");
    expect(svg).to.match(/<svg [^>]*width="210mm" height="297mm"/);
    const codes = qrCodesOf(svg);
    expect(codes.map((code) => code.url)).to.deep.equal([
      `${running!.gateway.url}/l/${lotIds[0]}`,
      `${running!.gateway.url}/01/0${gtin}/10/KKLS-07`,
      `${running!.gateway.url}/l/${lotIds[2]}`,
    ]);
    for (const code of codes) expect(code.decoded).to.equal(code.url);
    expect(svg).to.contain(`Lot ${lotIds[0]}</text>`);
    expect(svg).to.contain("cocoa wet beans</text>");
    expect(svg).to.contain("rubber cup lump</text>");
    expect(svg).to.contain("61.25 kg</text>");
    expect(svg).to.contain(`GTIN 0${gtin}</text>`);
    expect(svg).to.contain("Batch KKLS-07</text>");
  });

  it("refuses missing lots, ids that are not numbers and unknown lots with exit code 2, writing nothing", async function () {
    for (const args of [[], ["--lots", ""], ["--lots", `${lotIds[0]},abc`], ["--lots", `${lotIds[0]},-4`], ["--lots", `${lotIds[0]},999999999`], ["--lots", "1".repeat(40)]]) {
      const out = `refused-${args.length}-${String(args[1] ?? "none").replace(/\W/g, "")}.svg`;
      const error = await firstmile(running!.env, dir, "labels", ...args, "--out", out).then(() => null, (e: unknown) => e);
      expect(error, args.join(" ")).to.be.instanceOf(LabelsUsageError);
      expect((error as LabelsUsageError).exitCode).to.equal(2);
      expect(fs.existsSync(path.join(dir, out))).to.equal(false);
    }
    const unknown = await firstmile(running!.env, dir, "labels", "--lots", "999999999").then(() => null, (e: Error) => e);
    expect(unknown!.message).to.contain("unknown lot 999999999: no label written");
  });

  it("reads the database itself when no gateway runs, and draws the same sheet", async function () {
    const online = fs.readFileSync(path.join(dir, "sacks.svg"), "utf8");
    const env = running!.env;
    await running!.gateway.stop();
    running = null;
    await firstmile(env, dir, "labels", "--lots", lotIds.join(","), "--out", "offline.svg");
    expect(fs.readFileSync(path.join(dir, "offline.svg"), "utf8")).to.equal(online);
  });
});
