import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { stopOrphanedNode } from "../../src/gateway/orphanedNode";
import { copyPgliteTemplate } from "../helpers/engines";
import { freePort } from "../helpers/ports";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

const ROOT = path.resolve(__dirname, "..", "..");

describe("firstmile start (a real child process)", function () {
  this.timeout(240_000);
  let dir: string;

  before(async function () {
    dir = makeTempDir("start-command");
    await copyPgliteTemplate(path.join(dir, "pgdata"));
  });
  after(async function () {
    await stopOrphanedNode(path.join(dir, "chain"));
    removeTempDir(dir);
  });

  it("stops cleanly on SIGTERM while the demo is being seeded, and says the next start resumes it", async function () {
    const output: Buffer[] = [];
    const child = spawn(process.execPath, ["-r", "./scripts/register-ts.js", "src/cli/index.ts", "start"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        FIRSTMILE_DATA_DIR: dir,
        FIRSTMILE_PORT: String(await freePort()),
        FIRSTMILE_CHAIN_PORT: String(await freePort()),
        FIRSTMILE_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk));
    const text = () => Buffer.concat(output).toString("utf8");
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

    // The members line is printed once the gateway is up, just before the demo starts seeding.
    const deadline = Date.now() + 180_000;
    while (!/^members /m.test(text())) {
      if (child.exitCode !== null) throw new Error(`start exited early:\n${text().slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`start did not come up:\n${text().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill("SIGTERM");
    const { code, signal } = await exited;
    expect({ code, signal }, text().slice(-2000)).to.deep.equal({ code: 0, signal: null });
    expect(text()).to.match(/demo {6}interrupted: the next start resumes it/);
    expect(text()).to.match(/^stopped$/m);
    expect(fs.existsSync(path.join(dir, "demo.json")), "no record of a demo that was not finished").to.equal(false);
  });
});
