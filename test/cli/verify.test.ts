import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Command } from "commander";
import { registerVerifyCommand } from "../../src/cli/commands/verify";
import { captureStreams } from "../helpers/capture";

/** Runs `firstmile verify ...` in-process; returns the exit code it set and what it printed. */
async function firstmile(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const { stdout, stderr, text } = captureStreams();
  let code: number | null = null;
  const program = new Command("firstmile").exitOverride().configureOutput({ writeErr: (message) => stderr.write(message), writeOut: () => {} });
  registerVerifyCommand(program, { stdout, stderr, setExitCode: (c) => (code = c) });
  try {
    await program.parseAsync(["node", "firstmile", ...args]);
  } catch (error) {
    code = (error as { exitCode?: number }).exitCode ?? code;
  }
  return { code, ...text() };
}

describe("firstmile verify (CLI input)", () => {
  it("exits 2 with a clear message on bad input, before any request", async () => {
    const unknownFlag = await firstmile("verify", "http://127.0.0.1:1/l/5", "--rpc", "http://127.0.0.1:1", "--bogus");
    expect(unknownFlag.code).to.equal(2);
    expect(unknownFlag.err).to.include("unknown option '--bogus'");
    const noRpc = await firstmile("verify", "http://127.0.0.1:1/l/5");
    expect(noRpc.code).to.equal(2);
    expect(noRpc.err).to.include("--rpc <url> is required");
    const badRpc = await firstmile("verify", "http://127.0.0.1:1/l/5", "--rpc", "not a url");
    expect(badRpc.code).to.equal(2);
    expect(badRpc.err).to.include("is not an http(s) URL");
    const badTarget = await firstmile("verify", "javascript:alert(1)", "--rpc", "http://127.0.0.1:1");
    expect(badTarget.code).to.equal(2);
    expect(badTarget.err).to.include("neither a lot id nor an http(s) URL");
    const lotWithoutGateway = await firstmile("verify", "4000000001", "--rpc", "http://127.0.0.1:1");
    expect(lotWithoutGateway.code).to.equal(2);
    expect(lotWithoutGateway.err).to.include("needs --gateway");
    const unreachable = await firstmile("verify", "http://127.0.0.1:1/l/5", "--rpc", "http://127.0.0.1:1");
    expect(unreachable.code).to.equal(2);
    expect(unreachable.err).to.include("cannot read http://127.0.0.1:1/l/5?format=json");
  });

  it("exits 2 on a confirmations file that is not a confirmations export, before any request", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-confirmations-"));
    try {
      const runFile = path.join(dir, "run.json");
      fs.writeFileSync(runFile, JSON.stringify({ format: "firstmile.payout-run.v1", root: `0x${"ab".repeat(32)}`, leaves: [] }));
      const given = await firstmile("verify", "http://127.0.0.1:1/l/5", "--rpc", "http://127.0.0.1:1", "--confirmations", runFile);
      expect(given.code).to.equal(2);
      expect(given.err).to.include("is not a confirmations export (firstmile.confirmations.v1)");
      const missing = await firstmile("verify", "http://127.0.0.1:1/l/5", "--rpc", "http://127.0.0.1:1", "--confirmations", path.join(dir, "none.json"));
      expect(missing.code).to.equal(2);
      expect(missing.err).to.include("cannot read");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
