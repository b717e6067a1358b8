import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { startAnvil } from "../../src/chain/anvil";
import { connectProvider } from "../../src/chain/provider";
import { openPglite } from "../../src/db/pglite";
import { sendControlCommand } from "../../src/gateway/controlSocket";
import { stopOrphanedNode } from "../../src/gateway/orphanedNode";
import { LotRegistry__factory } from "../../typechain-types";
import { client, delivery } from "../gateway/helpers";
import { copyChainTemplate } from "../helpers/chainTemplate";
import { copyMigratedPglite, copyPgliteTemplate } from "../helpers/engines";
import { freePort } from "../helpers/ports";
import { startProcess, type StartProcess } from "../helpers/startProcess";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

/** Waits until the child prints a line matching `pattern`; throws if it exits first. */
async function printed(child: StartProcess, pattern: RegExp, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(child.output())) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) throw new Error(`start exited early:\n${child.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`start did not print ${pattern}:\n${child.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("firstmile start (a real child process)", function () {
  this.timeout(240_000);
  const dirs: string[] = [];
  const children: StartProcess[] = [];

  after(async function () {
    for (const child of children) {
      if (child.process.exitCode === null && child.process.signalCode === null) {
        child.process.kill("SIGTERM");
        await child.exited;
      }
    }
    for (const dir of dirs) {
      await stopOrphanedNode(path.join(dir, "chain"));
      removeTempDir(dir);
    }
  });

  /**
   * A data dir with an initialised PGlite; `deployed`: the database migrated and the chain with the
   * contracts deployed, as a first start leaves them (for the tests of what comes after: the lock,
   * the drain).
   */
  async function freshDataDir(prefix: string, { deployed }: { deployed: boolean }): Promise<string> {
    const dir = makeTempDir(prefix);
    dirs.push(dir);
    await (deployed ? copyMigratedPglite : copyPgliteTemplate)(path.join(dir, "pgdata"));
    if (deployed) await copyChainTemplate(dir);
    return dir;
  }

  it("stops cleanly on SIGTERM while the demo is being seeded, and says the next start resumes it", async function () {
    // A first start from nothing: anvil, the deployment, the database, then the demo.
    const dir = await freshDataDir("start-command", { deployed: false });
    const child = startProcess({
      FIRSTMILE_DATA_DIR: dir,
      FIRSTMILE_PORT: String(await freePort()),
      FIRSTMILE_CHAIN_PORT: String(await freePort()),
      FIRSTMILE_LOG_LEVEL: "warn",
    });
    children.push(child);
    // The members line is printed once the gateway is up, just before the demo starts seeding.
    await printed(child, /^members /m);
    child.process.kill("SIGTERM");
    const { code, signal } = await child.exited;
    const text = child.output();
    expect({ code, signal }, text.slice(-2000)).to.deep.equal({ code: 0, signal: null });
    expect(text).to.match(/demo {6}interrupted: the next start resumes it/);
    expect(text).to.match(/^stopped$/m);
    expect(fs.existsSync(path.join(dir, "demo.json")), "no record of a demo that was not finished").to.equal(false);
  });

  it("refuses a second start on a running gateway's data dir, naming its PID and ports, and leaves the first one untouched", async function () {
    const dir = await freshDataDir("start-twice", { deployed: true });
    const [port, chainPort] = [await freePort(), await freePort()];
    const env = { FIRSTMILE_DATA_DIR: dir, FIRSTMILE_PORT: String(port), FIRSTMILE_CHAIN_PORT: String(chainPort), FIRSTMILE_LOG_LEVEL: "warn", FIRSTMILE_DEMO: "0" };
    const first = startProcess(env);
    children.push(first);
    await printed(first, /^running; /m);
    const lockFile = path.join(dir, "gateway.lock");
    const lock = fs.readFileSync(lockFile, "utf8");
    expect(JSON.parse(lock)).to.deep.include({ pid: first.process.pid, command: "start", httpPort: port, chainPort });
    const nodePid = fs.readFileSync(path.join(dir, "chain", "anvil.pid"), "utf8");
    const entries = () => ["", "chain"].flatMap((sub) => fs.readdirSync(path.join(dir, sub)).map((name) => path.join(sub, name))).sort();
    const before = entries();

    // The second start: other ports, so only the data dir is shared.
    const second = startProcess({ ...env, FIRSTMILE_PORT: String(await freePort()), FIRSTMILE_CHAIN_PORT: String(await freePort()) });
    children.push(second);
    const { code } = await second.exited;
    const text = second.output();
    expect(code, text).to.equal(3);
    expect(text).to.include(`The data dir ${dir} is in use by a running gateway: PID ${first.process.pid}, API port ${port}, chain port ${chainPort}`);
    expect(text).to.not.match(/stopped anvil process/);

    // The first runs on as it was: its node, its lock, its files, its API.
    expect(fs.readFileSync(lockFile, "utf8")).to.equal(lock);
    expect(fs.readFileSync(path.join(dir, "chain", "anvil.pid"), "utf8")).to.equal(nodePid);
    expect(() => process.kill(Number(nodePid), 0), "the first gateway's node still runs").to.not.throw();
    expect(entries()).to.deep.equal(before);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(200);
    expect(first.process.exitCode).to.equal(null);

    // Stopped cleanly, it leaves no lock: the next start takes the data dir.
    first.process.kill("SIGTERM");
    expect((await first.exited).code).to.equal(0);
    expect(fs.existsSync(lockFile)).to.equal(false);
  });

  it("takes over the lock of a gateway that was killed", async function () {
    const dir = await freshDataDir("start-stale-lock", { deployed: true });
    // A lock left by a process that no longer runs (a gateway killed with SIGKILL).
    const gone = startProcess({ FIRSTMILE_DATA_DIR: dir, FIRSTMILE_PORT: "1", FIRSTMILE_CHAIN_PORT: "1" });
    gone.process.kill("SIGKILL");
    await gone.exited;
    fs.writeFileSync(path.join(dir, "gateway.lock"), JSON.stringify({ pid: gone.process.pid, httpPort: 1, chainPort: 1, startedAt: new Date().toISOString() }));
    const port = await freePort();
    const child = startProcess({ FIRSTMILE_DATA_DIR: dir, FIRSTMILE_PORT: String(port), FIRSTMILE_CHAIN_PORT: String(await freePort()), FIRSTMILE_LOG_LEVEL: "warn", FIRSTMILE_DEMO: "0" });
    children.push(child);
    await printed(child, /^running; /m);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "gateway.lock"), "utf8")).pid).to.equal(child.process.pid);
    child.process.kill("SIGTERM");
    expect((await child.exited).code).to.equal(0);
  });

  it("drains the relay on SIGTERM right after a burst: every acknowledged request is mined before it exits, each mint once", async function () {
    const dir = await freshDataDir("start-drain", { deployed: true });
    const port = await freePort();
    const chainPort = await freePort();
    const env = {
      FIRSTMILE_DATA_DIR: dir,
      FIRSTMILE_PORT: String(port),
      FIRSTMILE_CHAIN_PORT: String(chainPort),
      FIRSTMILE_LOG_LEVEL: "warn",
      // The relay alone: no demo story competing for it.
      FIRSTMILE_DEMO: "0",
      // The burst comes from one address; the per-IP limit is not what is tested here.
      FIRSTMILE_RATE_LIMIT_PER_IP: "10000",
    };
    const stopWithSigterm = async (running: StartProcess) => {
      running.process.kill("SIGTERM");
      const { code, signal } = await running.exited;
      expect({ code, signal }, running.output().slice(-2000)).to.deep.equal({ code: 0, signal: null });
      expect(running.output()).to.match(/^stopping: draining the relay$/m).and.match(/^stopped$/m);
    };
    type OutboxRow = { idempotency_key: string; id: bigint; status: string; locked_by: string | null; outputs: { lotIds?: string[] } | null };
    const outboxOf = async (memberId: string): Promise<OutboxRow[]> => {
      const db = await openPglite({ dir: path.join(dir, "pgdata") });
      try {
        return (await db.query<OutboxRow>("select idempotency_key, id, status, locked_by, outputs from outbox where member_id = $1 order by id", [BigInt(memberId)])).rows;
      } finally {
        await db.close();
      }
    };

    const first = startProcess(env);
    children.push(first);
    await printed(first, /^running; /m);
    const answer = await sendControlCommand(path.join(dir, "gateway.sock"), "POST", "/members", { roles: ["cooperative"], country: "ID" });
    expect(answer?.status, JSON.stringify(answer?.body)).to.equal(200);
    const { token, accounts, memberId } = answer!.body as { token: string; memberId: string; accounts: Array<{ address: string }> };
    const account = accounts[0]!.address;
    const api = client(`http://127.0.0.1:${port}`, token);

    // A burst of mints, each with its own key and weight, eight at a time; SIGTERM as soon as the last is acknowledged.
    const BURST = 150;
    const gramsOf = (n: number) => 200_000 + n;
    const acknowledged = new Map<string, string>(); // idempotency key -> request id
    let next = 0;
    const sender = async () => {
      while (next < BURST) {
        const n = ++next;
        const response = await api.post("/v1/lots/mint", delivery(gramsOf(n)), { "idempotency-key": `drain-${n}` });
        expect(response.status, JSON.stringify(response.body)).to.equal(202);
        acknowledged.set(`drain-${n}`, response.body.id);
      }
    };
    await Promise.all(Array.from({ length: 8 }, sender));
    await stopWithSigterm(first);
    expect(acknowledged.size).to.equal(BURST);

    // The outbox as the stopped gateway left it: every acknowledged request mined, each with its
    // own lot, and none held by the gone worker. The drain saw everything accepted through.
    const final = await outboxOf(memberId);
    expect(new Map(final.map((row) => [row.idempotency_key, String(row.id)]))).to.deep.equal(acknowledged);
    expect(final.filter((row) => row.status !== "mined" || row.locked_by !== null).map((row) => `${row.idempotency_key} ${row.status} ${row.locked_by}`), "rows not mined at exit").to.deep.equal([]);

    // The chain decides: one lot per acknowledged request, with its weight, and no other lot.
    const node = await startAnvil({ stateDir: path.join(dir, "chain"), port: chainPort });
    const provider = connectProvider(node.url, 31337);
    try {
      const lots = LotRegistry__factory.connect(JSON.parse(fs.readFileSync(path.join(dir, "deployments", "embedded.json"), "utf8")).contracts.LotRegistry.address, provider);
      const nextLot = await lots.nextLotId(account);
      const firstLot = (nextLot / 1_000_000_000n) * 1_000_000_000n + 1n;
      expect(Number(nextLot - firstLot), "lots of the member's account").to.equal(BURST);
      const lotsOfGrams = new Map<bigint, string[]>();
      for (let lotId = firstLot; lotId < nextLot; lotId++) {
        const { lot } = await lots.getLot(lotId);
        lotsOfGrams.set(lot.grams, [...(lotsOfGrams.get(lot.grams) ?? []), lotId.toString()]);
      }
      const recorded = new Map(final.map((row) => [row.idempotency_key, row.outputs?.lotIds]));
      for (let n = 1; n <= BURST; n++) {
        const ids = lotsOfGrams.get(BigInt(gramsOf(n))) ?? [];
        expect(ids, `lots minted for drain-${n}`).to.have.length(1);
        expect(recorded.get(`drain-${n}`), `recorded lot of drain-${n}`).to.deep.equal(ids);
      }
    } finally {
      provider.destroy();
      await node.stop();
    }
  });
});
