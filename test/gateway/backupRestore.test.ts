import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { Command } from "commander";
import { deployAll } from "../../deploy";
import { registerEvidenceCommand } from "../../src/cli/commands/evidence";
import { runVerify } from "../../src/cli/commands/verify";
import { startAnvil, type RunningAnvil } from "../../src/chain/anvil";
import { connectProvider } from "../../src/chain/provider";
import { captureStreams } from "../helpers/capture";
import { copyChainTemplateTo } from "../helpers/chainTemplate";
import { newDatabaseName, sharedPostgres } from "../helpers/engines";
import { findPostgresBinaries, type PostgresServer } from "../helpers/postgres";
import { freePort } from "../helpers/ports";
import { rejection } from "../helpers/rejection";
import { TEST_NODE } from "../helpers/testNode";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { addMemberThroughGateway, client, delivery, startConfiguredTestGateway, waitUntilReady } from "./helpers";

/**
 * The backup and restore of docs/production.md, done as written: with the gateway stopped, the SQL
 * database with `pg_dump --format=custom`, the evidence with `firstmile evidence export`, and the
 * keystore's passphrase kept apart (the custodial keys themselves are in SQL, encrypted). Restored
 * with `pg_restore` into a new database, `firstmile evidence import` into a new data dir, and the
 * same passphrase: the restored gateway relays with the same relayer and tokens, and a lot it
 * relays verifies against the node. Without the passphrase it refuses to start.
 */
const POSTGRES_BIN = findPostgresBinaries();
const IN_CI = process.env.CI === "true" || process.env.CI === "1";
const PASSPHRASE = "backup test keystore passphrase, long enough";

if (POSTGRES_BIN) {
  describe("backup and restore: pg_dump, evidence CAR and the keystore passphrase into a new database and data dir", backupRestore);
} else if (IN_CI) {
  describe("backup and restore", function () {
    it("needs the PostgreSQL server binaries in CI", function () {
      throw new Error("no /usr/lib/postgresql/*/bin/initdb: install the postgresql package (apt-get install postgresql)");
    });
  });
} else {
  console.warn("\n!!! PostgreSQL binaries not found: the backup and restore test is left out; under CI=true this is a failure.\n");
}

function backupRestore(this: Mocha.Suite) {
  this.timeout(120_000);
  let dir: string;
  let server: PostgresServer;
  let node: RunningAnvil;
  let original: Record<string, string>;
  let restored: Record<string, string>;

  async function evidenceCli(env: Record<string, string>, ...args: string[]): Promise<string> {
    const { stdout, text } = captureStreams();
    const program = new Command("firstmile").exitOverride();
    registerEvidenceCommand(program, { env, cwd: dir, stdout });
    await program.parseAsync(["node", "firstmile", "evidence", ...args]);
    return text().out;
  }

  function run(binary: string, args: string[]): void {
    const result = spawnSync(path.join(POSTGRES_BIN!, binary), args, { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${binary} failed: ${result.stderr}`);
  }

  before(async function () {
    dir = makeTempDir("backup-restore");
    server = await sharedPostgres();
    const deploymentsFile = path.join(dir, "ops", "deployments.json");
    await copyChainTemplateTo({ chainState: path.join(dir, "node"), deploymentsFile });
    node = await startAnvil({ stateDir: path.join(dir, "node"), port: await freePort(), ...TEST_NODE });
    const deployer = connectProvider(node.url, 31337);
    await deployAll({ signer: await deployer.getSigner(0), file: deploymentsFile, network: "external" });
    deployer.destroy();
    const common = { FIRSTMILE_RPC_URL: node.url, FIRSTMILE_CHAIN_ID: "31337", FIRSTMILE_DEPLOYMENTS_FILE: deploymentsFile, FIRSTMILE_KEYSTORE_PASSPHRASE: PASSPHRASE, FIRSTMILE_LOG_LEVEL: "silent" };
    original = { ...common, FIRSTMILE_DATA_DIR: path.join(dir, "original"), FIRSTMILE_DATABASE_URL: await server.createDatabase(newDatabaseName("original")) };
    restored = { ...common, FIRSTMILE_DATA_DIR: path.join(dir, "restored"), FIRSTMILE_DATABASE_URL: await server.createDatabase(newDatabaseName("restored")) };
  });

  after(async function () {
    await node?.stop();
    removeTempDir(dir);
  });

  it("restores SQL, evidence and keystore into a fresh database and data dir, then relays and verifies", async function () {
    // The original gateway: members, a piece of evidence, a lot handed over.
    const first = await startConfiguredTestGateway(original.FIRSTMILE_DATA_DIR!, original);
    let coop: Awaited<ReturnType<typeof addMemberThroughGateway>>;
    let processor: Awaited<ReturnType<typeof addMemberThroughGateway>>;
    let evidence: { cid: string; digest: string };
    let firstLot: string;
    const report = Buffer.from("plot,area_ha\nP-1,1.8\n");
    try {
      coop = await addMemberThroughGateway(first.gateway, { roles: ["cooperative"], country: "ID" });
      processor = await addMemberThroughGateway(first.gateway, { roles: ["processor"], country: "ID" });
      const uploaded = await fetch(`${first.gateway.url}/v1/evidence?type=text/csv`, { method: "POST", headers: { authorization: `Bearer ${coop.token}`, "content-type": "application/octet-stream" }, body: report });
      expect(uploaded.status).to.equal(201);
      evidence = (await uploaded.json()) as { cid: string; digest: string };
      const api = client(first.gateway.url, coop.token);
      const minted = await api.settle((await api.post("/v1/lots/mint", { ...delivery(9_000), metadata: evidence.digest })).body.id, 60_000);
      expect(minted.final.status, JSON.stringify(minted.final.error)).to.equal("mined");
      firstLot = minted.final.outputs.lotIds[0];
    } finally {
      await first.gateway.stop();
    }

    // Backup, gateway stopped: the database, the evidence, and (kept apart) the passphrase.
    const dump = path.join(dir, "backup", "firstmile.dump");
    const car = path.join(dir, "backup", "evidence.car");
    fs.mkdirSync(path.dirname(dump), { recursive: true });
    run("pg_dump", ["--format=custom", "--no-owner", "--file", dump, original.FIRSTMILE_DATABASE_URL!]);
    expect(await evidenceCli(original, "export", "--out", car)).to.match(/wrote .*evidence\.car: 1 evidence files/);

    // Restore into a new database and an empty data dir.
    run("pg_restore", ["--no-owner", "--exit-on-error", "--dbname", restored.FIRSTMILE_DATABASE_URL!, dump]);
    expect(await evidenceCli(restored, "import", car)).to.contain("pinned 1 evidence files");

    // Without the passphrase the custodial keys are lost: the keystore refuses another one.
    const wrong = await rejection(startConfiguredTestGateway(path.join(dir, "wrong"), { ...restored, FIRSTMILE_DATA_DIR: path.join(dir, "wrong"), FIRSTMILE_KEYSTORE_PASSPHRASE: "not the passphrase it was made with" }));
    expect(wrong.message).to.contain("The keystore passphrase is wrong");

    const second = await startConfiguredTestGateway(restored.FIRSTMILE_DATA_DIR!, restored);
    try {
      expect(second.gateway.relayer).to.equal(first.gateway.relayer);
      await waitUntilReady(second.gateway.url);
      const back = await fetch(`${second.gateway.url}/v1/evidence/${evidence!.cid}`, { headers: { authorization: `Bearer ${coop!.token}` } });
      expect(back.status).to.equal(200);
      expect(Buffer.from(await back.arrayBuffer()).equals(report)).to.equal(true);
      // The same API tokens and custodial keys: the restored gateway relays a handover of the old lot and a new mint.
      const api = client(second.gateway.url, coop!.token);
      const offered = await api.settle((await api.post(`/v1/lots/${firstLot!}/offer`, { receiver: processor!.accounts[0]!.address })).body.id, 60_000);
      expect(offered.final.status, JSON.stringify(offered.final.error)).to.equal("mined");
      const taker = client(second.gateway.url, processor!.token);
      const taken = await taker.settle((await taker.post(`/v1/lots/${firstLot!}/accept`, { gramsReceived: "9000" })).body.id, 60_000);
      expect(taken.final.status, JSON.stringify(taken.final.error)).to.equal("mined");
      await second.gateway.indexer.waitForBlock(Number(taken.final.transaction.blockNumber));
      const streams = captureStreams();
      const code = await runVerify(firstLot!, { rpc: node.url, gateway: second.gateway.url }, streams);
      expect(code, `${streams.text().out}\n${streams.text().err}`).to.equal(0);
    } finally {
      await second.gateway.stop();
    }
  });
}
