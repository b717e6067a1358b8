import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { DataDirLockedError, LOCK_FILE, lockDataDir } from "../../src/gateway/dataDirLock";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

describe("data dir lock", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("data-dir-lock");
  });
  afterEach(() => removeTempDir(dir));
  const file = () => path.join(dir, LOCK_FILE);
  /** A lock as another live process (this one's parent) would hold it. */
  const heldByParent = (holder: Record<string, unknown> = {}) =>
    fs.writeFileSync(file(), JSON.stringify({ pid: process.ppid, command: "start", httpPort: 8080, chainPort: 8545, startedAt: "2026-01-01T00:00:00.000Z", ...holder }));

  it("records the holder and removes the file on release", () => {
    const lock = lockDataDir(dir, { command: "start", httpPort: 9090, chainPort: 9545 });
    expect(JSON.parse(fs.readFileSync(file(), "utf8"))).to.deep.include({ pid: process.pid, command: "start", httpPort: 9090, chainPort: 9545 });
    lock.release();
    expect(fs.existsSync(file())).to.equal(false);
  });

  it("refuses while a live process holds it, naming it, and leaves its file as it was", () => {
    heldByParent();
    const before = fs.readFileSync(file(), "utf8");
    let refused: unknown;
    try {
      lockDataDir(dir, { command: "start", httpPort: 1, chainPort: 2 });
    } catch (error) {
      refused = error;
    }
    expect(refused).to.be.instanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).exitCode).to.equal(3);
    expect((refused as Error).message).to.include(`in use by a running gateway: PID ${process.ppid}, API port 8080, chain port 8545, started 2026-01-01T00:00:00.000Z`);
    expect(fs.readFileSync(file(), "utf8")).to.equal(before);
    heldByParent({ command: "keys rotate", httpPort: null, chainPort: null });
    expect(() => lockDataDir(dir, { command: "start", httpPort: 1, chainPort: 2 })).to.throw(`in use by a running firstmile keys rotate: PID ${process.ppid}, no ports`);
  });

  it("takes over a stale lock (its process is gone, or the file is unreadable)", () => {
    for (const stale of [JSON.stringify({ pid: 2 ** 22 + 12345, command: "start", httpPort: 1, chainPort: 2 }), "", "not json"]) {
      fs.writeFileSync(file(), stale);
      const lock = lockDataDir(dir, { command: "start", httpPort: 7, chainPort: null });
      expect(JSON.parse(fs.readFileSync(file(), "utf8")).pid).to.equal(process.pid);
      lock.release();
    }
  });

  it("releases only its own lock", () => {
    const lock = lockDataDir(dir, { command: "start", httpPort: 7, chainPort: null });
    heldByParent();
    lock.release();
    expect(JSON.parse(fs.readFileSync(file(), "utf8")).pid).to.equal(process.ppid);
  });
});
