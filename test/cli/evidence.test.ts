import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { Command } from "commander";
import { registerEvidenceCommand } from "../../src/cli/commands/evidence";
import { computeEvidenceCid } from "../../src/evidence/cid";
import { MAKE, buildJpeg, csvOfSize } from "../evidence/fixtures";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

/** Runs `firstmile evidence ...` in-process and returns what it printed. */
async function firstmile(cwd: string, ...args: string[]): Promise<string> {
  const stdout = new PassThrough();
  const printed: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => printed.push(chunk));
  const program = new Command("firstmile").exitOverride();
  registerEvidenceCommand(program, { env: {}, cwd, stdout });
  await program.parseAsync(["node", "firstmile", ...args]);
  return Buffer.concat(printed).toString("utf8");
}

describe("firstmile evidence (CLI)", () => {
  let dir: string;

  beforeEach(() => {
    dir = makeTempDir("cli-evidence");
  });
  afterEach(() => removeTempDir(dir));

  it("puts a photo (stripped), gets it back verified, and prints the CID computed offline", async () => {
    const photo = path.join(dir, "photo.jpg");
    fs.writeFileSync(photo, buildJpeg({ xmp: true }));
    const put = (await firstmile(dir, "evidence", "put", photo, "--type", "image/jpeg", "--data-dir", "data")).split("\n");
    const cid = put[0]!;
    expect(cid).to.match(/^bafkrei/);
    expect(put[1]).to.match(/^bytes32 0x[0-9a-f]{64} codec raw size \d+$/);
    expect(put[2]).to.include("Exif");
    expect(fs.existsSync(path.join(dir, "data", "evidence", "blocks"))).to.equal(true);

    const out = path.join(dir, "back.jpg");
    await firstmile(dir, "evidence", "get", cid, "--out", out, "--data-dir", "data");
    const back = fs.readFileSync(out);
    expect(back.includes(MAKE)).to.equal(false);
    expect((await firstmile(dir, "evidence", "cid", out)).split("\n")[0]).to.equal(cid);
  });

  it("exports all evidence as a CAR that another data directory imports with the same CIDs", async () => {
    const file = path.join(dir, "lots.csv");
    fs.writeFileSync(file, csvOfSize(700_000, 3));
    const cid = (await firstmile(dir, "evidence", "put", file, "--type", "text/csv", "--data-dir", "a")).split("\n")[0]!;
    expect(cid).to.equal((await computeEvidenceCid(fs.readFileSync(file))).toString());

    const car = path.join(dir, "evidence.car");
    expect(await firstmile(dir, "evidence", "export", "--out", car, "--data-dir", "a")).to.match(/: 1 evidence files, 4 blocks, \d+ bytes/);
    expect(await firstmile(dir, "evidence", "import", car, "--data-dir", "b")).to.equal("imported 4 blocks, pinned 1 evidence files\n");
    const out = path.join(dir, "copy.csv");
    await firstmile(dir, "evidence", "get", cid, "--out", out, "--data-dir", "b");
    expect(Buffer.compare(fs.readFileSync(out), fs.readFileSync(file))).to.equal(0);
  });

  it("refuses a file whose bytes contradict its type and stores nothing", async () => {
    const file = path.join(dir, "fake.pdf");
    fs.writeFileSync(file, buildJpeg());
    const error = await firstmile(dir, "evidence", "put", file, "--type", "application/pdf", "--data-dir", "data").then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(Error);
    expect((error as Error).message).to.include("application/pdf").and.include("image/jpeg");
    expect(fs.readdirSync(path.join(dir, "data", "evidence", "pins"))).to.deep.equal([]);
  });
});
