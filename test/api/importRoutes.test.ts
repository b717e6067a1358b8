import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { expect } from "chai";
import { Command } from "commander";
import ExcelJS from "exceljs";
import { registerImportCommand } from "../../src/cli/commands/import";
import { generateFarmerCode } from "../../src/farmers";
import { addMemberThroughGateway, client, startTestGateway, type TestGateway } from "../gateway/helpers";
import { copyPgliteTemplate } from "../helpers/engines";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { csv } from "../imports/sheets";

type Member = Awaited<ReturnType<typeof addMemberThroughGateway>>;

/** Runs `firstmile import ...` in-process; `tty` makes its stdout look like a terminal. */
async function firstmile(env: Record<string, string>, cwd: string, args: string[], tty = false): Promise<string> {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  const printed: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => printed.push(chunk));
  const program = new Command("firstmile").exitOverride();
  registerImportCommand(program, { env, cwd, stdout });
  await program.parseAsync(["node", "firstmile", "import", ...args]);
  return Buffer.concat(printed).toString("utf8");
}

describe("imports over HTTP and from the command line (real gateway)", function () {
  this.timeout(600_000);
  let dir: string;
  let running: TestGateway;
  let coop: Member;
  let otherCoop: Member;
  let brand: Member;
  const codes = Array.from({ length: 3 }, () => generateFarmerCode());
  const api = (token?: string) => client(running.gateway.url, token);
  const upload = async (token: string, fields: Record<string, string>, file?: { name: string; bytes: Uint8Array }) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    if (file) form.append("file", new Blob([new Uint8Array(file.bytes)]), file.name);
    const response = await fetch(`${running.gateway.url}/v1/imports`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
    return { status: response.status, body: (await response.json()) as any };
  };
  const counts = async () =>
    (await running.gateway.db.query<{ farmers: number; plots: number; outbox: number }>(
      "select (select count(*) from farmers)::int as farmers, (select count(*) from origin_plots)::int as plots, (select count(*) from outbox)::int as outbox",
    )).rows[0]!;

  before(async function () {
    dir = makeTempDir("import-routes");
    running = await startTestGateway(path.join(dir, "data"));
    coop = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID" });
    otherCoop = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "TH" });
    brand = await addMemberThroughGateway(running.gateway, { roles: ["brand"], country: "NL" });
  });
  after(async function () {
    await running?.gateway.stop();
    removeTempDir(dir);
  });

  describe("templates", function () {
    it("answers a CSV template in UTF-8 with a byte order mark, headers in the language asked", async function () {
      const response = await fetch(`${running.gateway.url}/v1/imports/templates/plots.csv?lang=th`);
      expect(response.status).to.equal(200);
      expect(response.headers.get("content-type")).to.equal("text/csv; charset=utf-8");
      expect(response.headers.get("content-disposition")).to.contain('filename="firstmile-plots-th.csv"');
      const bytes = Buffer.from(await response.arrayBuffer());
      expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      expect(bytes.toString("utf8").slice(1).split("\r\n")[0]!.split(",").slice(0, 3)).to.deep.equal(["รหัสเกษตรกร", "รหัสแปลง", "ละติจูด"]);
      expect((await fetch(`${running.gateway.url}/v1/imports/templates/lots.csv`)).status).to.equal(400);
      expect((await fetch(`${running.gateway.url}/v1/imports/templates/plots.csv?lang=fr`)).status).to.equal(400);
    });

    it("answers an XLSX template that, filled in, imports as it is", async function () {
      const response = await fetch(`${running.gateway.url}/v1/imports/templates/farmers.xlsx?lang=id`);
      expect(response.status).to.equal(200);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(await response.arrayBuffer());
      expect(workbook.worksheets.map((sheet) => sheet.name)).to.deep.equal(["data", "columns"]);
      const data = workbook.getWorksheet("data")!;
      expect(data.getRow(1).getCell(2).value).to.equal("nama *");
      data.addRow([codes[0], "Siti Rahma"]);
      data.addRow([codes[1], "Made Wirawan"]);
      const filled = Buffer.from(await workbook.xlsx.writeBuffer());
      const report = await upload(coop.token, { kind: "farmers", dryRun: "true" }, { name: "petani.xlsx", bytes: filled });
      expect(report.status, JSON.stringify(report.body)).to.equal(200);
      expect(report.body).to.deep.include({ kind: "farmers", dryRun: true, format: "xlsx", rows: 2, valid: 2, refused: 0 });
    });
  });

  describe("POST /v1/imports", function () {
    it("imports farmers, then their plots, then deliveries that become mint-batch requests the relay mines", async function () {
      const farmers = await upload(coop.token, { kind: "farmers" }, { name: "farmers.csv", bytes: csv([["farmer_code", "name", "village"], ...codes.map((code, i) => [code, `Farmer ${i}`, "Tambarana"])]) });
      expect(farmers.body).to.deep.include({ created: 3, refused: 0 });
      const plotsFile = csv([
        ["farmer_code", "ref", "latitude", "longitude", "area_ha", "country", "province", "district"],
        [codes[0]!, "A-1", "-1.390027", "120.750013", "2", "ID", "Sulawesi Tengah", "Poso"],
        [codes[1]!, "B-1", "-1.380027", "120.750013", "1", "ID", "Sulawesi Tengah", "Poso"],
        [codes[2]!, "C-1", "-1.37002", "120.75001", "1", "ID", "Sulawesi Tengah", "Poso"],
      ]);
      const dry = await upload(coop.token, { kind: "plots", dryRun: "true" }, { name: "plots.csv", bytes: plotsFile });
      expect(dry.body).to.deep.include({ valid: 2, refused: 1 });
      expect(dry.body.issues).to.deep.equal([{ row: 4, column: "latitude", reason: "coordinates need at least 6 decimal places (EUDR geolocation); the most precise one here has 5" }]);
      expect((await counts()).plots).to.equal(0);
      const plots = await upload(coop.token, { kind: "plots" }, { name: "plots.csv", bytes: plotsFile });
      expect(plots.body).to.deep.include({ created: 2, refused: 1 });

      const deliveries = await upload(coop.token, { kind: "deliveries" }, {
        name: "deliveries.csv",
        bytes: csv([
          ["farmer_code", "date", "form", "kg", "ticket"],
          [codes[0]!, "2026-06-15", "cocoa-wet-beans", "120,5", "WT-1"],
          [codes[1]!, "15/06/2026", "biji basah", "80", "WT-2"],
          [codes[2]!, "15/06/2026", "biji basah", "80", "WT-3"],
        ]),
      });
      expect(deliveries.body).to.deep.include({ created: 2, refused: 1 });
      expect(deliveries.body.requests).to.have.length(1);
      const { final } = await api(coop.token).settle(deliveries.body.requests[0], 60_000);
      expect(final.status).to.equal("mined");
      expect(final.outputs.lotIds).to.have.length(2);
      const { rows } = await running.gateway.db.query<{ origin: string }>("select d->>'origin' as origin from outbox, jsonb_array_elements(payload->'deliveries') d where id = $1", [deliveries.body.requests[0]]);
      expect(rows.map((row) => row.origin)).to.deep.equal(plots.body.results.filter((r: { status: string }) => r.status === "created").map((r: { commitment: string }) => r.commitment));

      // The same file again: nothing new.
      const before = await counts();
      const again = await upload(coop.token, { kind: "plots" }, { name: "plots.csv", bytes: plotsFile });
      expect(again.body).to.deep.include({ created: 0, unchanged: 2, refused: 1 });
      expect(await counts()).to.deep.equal(before);
    });

    it("refuses a 30 MB file with 413, and writes nothing", async function () {
      const before = await counts();
      const big = Buffer.alloc(30 * 1024 * 1024, 0x61);
      const answer = await upload(coop.token, { kind: "farmers" }, { name: "big.csv", bytes: big });
      expect(answer.status).to.equal(413);
      expect(answer.body.error.code).to.equal("payload_too_large");
      expect(answer.body.error.message).to.contain("at most 20 MiB");
      expect(await counts()).to.deep.equal(before);
    });

    it("refuses a file that is not UTF-8 as a whole (400 import_encoding), naming the line", async function () {
      const latin1 = Buffer.concat([Buffer.from("name,village\r\nJos"), Buffer.from([0xe9]), Buffer.from(",Poso\r\n")]);
      const answer = await upload(coop.token, { kind: "farmers" }, { name: "farmers.csv", bytes: latin1 });
      expect(answer.status).to.equal(400);
      expect(answer.body.error.code).to.equal("import_encoding");
      expect(answer.body.error.message).to.contain("line 2");
    });

    it("refuses a body that is no form, a form without kind or file, an unknown field, and members that are not cooperatives", async function () {
      const json = await api(coop.token).post("/v1/imports", { kind: "farmers" });
      expect([json.status, json.body.error.code]).to.deep.equal([415, "unsupported_media_type"]);
      expect((await upload(coop.token, { kind: "lots" }, { name: "x.csv", bytes: Buffer.from("name\r\n") })).status).to.equal(400);
      expect((await upload(coop.token, { kind: "farmers" })).body.error.message).to.contain("file");
      expect((await upload(coop.token, { kind: "farmers", colour: "red" }, { name: "x.csv", bytes: Buffer.from("name\r\nA\r\n") })).body.error.message).to.contain('unknown form field "colour"');
      expect((await upload(brand.token, { kind: "farmers" }, { name: "x.csv", bytes: Buffer.from("name\r\nA\r\n") })).status).to.equal(403);
      const anonymous = await fetch(`${running.gateway.url}/v1/imports`, { method: "POST", body: new FormData() });
      expect(anonymous.status).to.equal(401);
    });

    it("keeps one cooperative's farmers from another's imports: their card codes are unknown to it", async function () {
      const answer = await upload(otherCoop.token, { kind: "plots", dryRun: "true" }, {
        name: "plots.csv",
        bytes: csv([["farmer_code", "latitude", "longitude", "area_ha", "country", "province", "district"], [codes[0]!, "6.950027", "100.400013", "1", "TH", "Songkhla", "Hat Yai"]]),
      });
      expect(answer.body.issues[0].reason).to.contain("no farmer with card code");
    });

    it("is in /openapi.json as a multipart upload", async function () {
      const { paths } = (await api().get("/openapi.json")).body;
      expect(Object.keys(paths["/v1/imports"].post.requestBody.content)).to.deep.equal(["multipart/form-data"]);
      expect(paths["/v1/imports/templates/{template}"].get).to.be.an("object");
    });
  });

  describe("firstmile import", function () {
    it("runs inside the running gateway, with a progress bar in a terminal and a summary", async function () {
      const file = path.join(dir, "farmers-cli.csv");
      fs.writeFileSync(file, csv([["name", "village"], ...Array.from({ length: 1_200 }, (_, i) => [`Farmer ${i}`, `Desa ${i % 7}`])]));
      const out = path.join(dir, "result.csv");
      const printed = await firstmile(running.env, dir, ["--kind", "farmers", "--file", file, "--member", coop.memberId, "--out", out], true);
      expect(printed).to.contain("farmers import: 1200 rows, 1200 created, 0 unchanged, 0 refused");
      expect(printed).to.match(/1200\/1200 rows/);
      const result = fs.readFileSync(out, "utf8").slice(1).split("\r\n");
      expect(result[0]).to.equal("row,status,ref,farmer_code,commitment,issues");
      expect(result[1]).to.match(/^2,created,f_[0-9a-z]+,[0-9A-Z]{4}-[0-9A-Z]{4},,$/);
      const again = await firstmile(running.env, dir, ["--kind", "farmers", "--file", file, "--member", coop.memberId]);
      expect(again).to.contain("0 created, 1200 unchanged");
      expect(again).to.not.match(/rows\s+\d+%/);
    });

    it("prints each refused row with its column and reason in a dry run", async function () {
      const file = path.join(dir, "plots-cli.csv");
      fs.writeFileSync(file, csv([["farmer_code", "latitude", "longitude", "area_ha", "country", "province", "district"], [codes[2]!, "-1.360027", "120.750013", "6", "ID", "P", "D"]]));
      const printed = await firstmile(running.env, dir, ["--kind", "plots", "--file", file, "--member", coop.memberId, "--dry-run"]);
      expect(printed).to.contain("plots import (dry run: nothing written): 1 rows, 0 valid (would be created), 0 unchanged, 1 refused");
      expect(printed).to.contain("row 2, area_ha: a plot of 6 ha needs a polygon");
    });

    it("opens the stores itself when no gateway runs, and writes templates", async function () {
      const local = path.join(dir, "local");
      await copyPgliteTemplate(path.join(local, "pgdata"));
      const env = { FIRSTMILE_DATA_DIR: local, FIRSTMILE_LOG_LEVEL: "silent" };
      const file = path.join(dir, "farmers-local.csv");
      fs.writeFileSync(file, csv([["nama", "desa"], ["Wayan", "Tambarana"]]));
      expect(await firstmile(env, dir, ["--kind", "farmers", "--file", file, "--member", "7"])).to.contain("1 created");
      expect(await firstmile(env, dir, ["--kind", "plots", "--template", "plots-vi.xlsx", "--lang", "vi"])).to.contain("wrote the plots template");
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.readFile(path.join(dir, "plots-vi.xlsx"));
      expect(workbook.getWorksheet("data")!.getRow(1).getCell(1).value).to.equal("mã nông dân *");
      const refused = await firstmile(env, dir, ["--kind", "farmers", "--file", path.join(dir, "missing.csv"), "--member", "7"]).then(() => "", (e: Error) => e.message);
      expect(refused).to.contain("no file");
      expect(await firstmile(env, dir, ["--kind", "lots", "--file", file, "--member", "7"]).then(() => "", (e: Error) => e.message)).to.contain("--kind: one of farmers, plots, deliveries");
    });
  });
});
