import fs from "node:fs";
import path from "node:path";
import { inspect } from "node:util";
import { expect } from "chai";
import pg from "pg";
import { deployAll } from "../../deploy";
import { startAnvil, type RunningAnvil } from "../../src/chain/anvil";
import { open } from "../../src/chain/keystore/cipher";
import { deriveFromPassphrase } from "../../src/chain/keystore/keyEncryptionKey";
import { connectProvider } from "../../src/chain/provider";
import { LotRegistry__factory } from "../../typechain-types";
import { copyChainTemplateTo } from "../helpers/chainTemplate";
import { newDatabaseName, sharedPostgres } from "../helpers/engines";
import { findPostgresBinaries, type PostgresServer } from "../helpers/postgres";
import { freePort } from "../helpers/ports";
import { rejection } from "../helpers/rejection";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { addMemberThroughGateway, client, delivery, startConfiguredTestGateway, waitUntilReady } from "./helpers";

/**
 * The production path as far as it runs here: PostgreSQL instead of PGlite and a chain node the
 * gateway did not start (anvil in Besu's place, the contracts deployed by the operator into a
 * deployments file), a password in the database URL and the keystore behind a passphrase; then a
 * second gateway whose RPC URL carries user:password (ethers sends them as HTTP basic auth; anvil
 * ignores them). Kubo cannot run here: evidence stays in the embedded blockstore.
 *
 * Like the SQL suites (test/helpers/engines.ts): without the PostgreSQL binaries this fails under
 * CI and is left out, with a warning, elsewhere.
 */
const POSTGRES_BIN = findPostgresBinaries();
const IN_CI = process.env.CI === "true" || process.env.CI === "1";

const RPC_USER = "ops";
const RPC_PASSWORD = "rpc-s3cret-7Hq2";
const DB_PASSWORD = "db-s3cret-Kp9w";
const PASSPHRASE = "postgres test keystore passphrase, long enough";

if (POSTGRES_BIN) {
  describe("gateway on PostgreSQL and an external chain node (real gateway, anvil, PostgreSQL)", gatewayOnPostgres);
} else if (IN_CI) {
  describe("gateway on PostgreSQL and an external chain node", function () {
    it("needs the PostgreSQL server binaries in CI", function () {
      throw new Error("no /usr/lib/postgresql/*/bin/initdb: install the postgresql package (apt-get install postgresql)");
    });
  });
} else {
  console.warn("\n!!! PostgreSQL binaries not found (/usr/lib/postgresql/*/bin/initdb): the gateway's PostgreSQL test is left out; under CI=true this is a failure.\n");
}

function gatewayOnPostgres(this: Mocha.Suite) {
  this.timeout(180_000);
  let dir: string;
  let server: PostgresServer;
  let node: RunningAnvil;
  let env: Record<string, string>;
  let databaseUrl: string;
  let nodePort: number;
  let running: Awaited<ReturnType<typeof startConfiguredTestGateway>> | null = null;
  const printed: string[] = [];
  /** Every API token issued by the main gateway. */
  const tokens: string[] = [];
  const rpcSecrets: Array<[string, string]> = [
    ["the RPC password", RPC_PASSWORD],
    ["the RPC credentials as HTTP basic auth", Buffer.from(`${RPC_USER}:${RPC_PASSWORD}`).toString("base64")],
  ];
  const secrets: Array<[string, string]> = [...rpcSecrets, ["the database password", DB_PASSWORD], ["the keystore passphrase", PASSPHRASE]];

  /** The run's shared server names databases uniquely: a suite's name for each, and the server's. */
  const databases: Record<string, string> = {};
  /** A new database on the server; its URL carries a password the gateway must never show (the server trusts local connections). */
  async function createDatabase(name: string): Promise<string> {
    return (await server.createDatabase(databases[name] ??= newDatabaseName(name))).replace("postgres://app@", `postgres://app:${DB_PASSWORD}@`);
  }

  /** Every table of `database` as text (bytea as hex), one entry per table. */
  async function tableDumps(database: string): Promise<Array<[string, string]>> {
    const dump = new pg.Client({ connectionString: server.urlFor(databases[database]!) });
    await dump.connect();
    try {
      const { rows: tables } = await dump.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1");
      const dumps: Array<[string, string]> = [];
      for (const { table_name } of tables) {
        const { rows } = await dump.query<{ text: string | null }>(`select string_agg(t::text, E'\\n') as text from public."${table_name}" t`);
        dumps.push([`table ${table_name}`, rows[0]!.text ?? ""]);
      }
      return dumps;
    } finally {
      await dump.end();
    }
  }

  before(async function () {
    dir = makeTempDir("gateway-postgres");
    server = await sharedPostgres();
    databaseUrl = await createDatabase("gateway");

    // The operator's node, from the test run's deployed chain; deployAll then finds every contract.
    nodePort = await freePort();
    const deploymentsFile = path.join(dir, "ops", "deployments.json");
    await copyChainTemplateTo({ chainState: path.join(dir, "node"), deploymentsFile });
    node = await startAnvil({ stateDir: path.join(dir, "node"), port: nodePort });
    const deployer = connectProvider(node.url, 31337);
    await deployAll({ signer: await deployer.getSigner(0), file: deploymentsFile, network: "external" });
    deployer.destroy();

    env = {
      FIRSTMILE_RPC_URL: `http://127.0.0.1:${nodePort}`,
      FIRSTMILE_CHAIN_ID: "31337",
      FIRSTMILE_DATABASE_URL: databaseUrl,
      FIRSTMILE_DEPLOYMENTS_FILE: deploymentsFile,
      FIRSTMILE_KEYSTORE_PASSPHRASE: PASSPHRASE,
    };
    running = await startConfiguredTestGateway(path.join(dir, "data"), env, printed);
  });

  after(async function () {
    await running?.gateway.stop();
    await node?.stop();
    removeTempDir(dir);
  });

  const api = (token?: string) => client(running!.gateway.url, token);

  it("starts on PostgreSQL and the node it was given, the database password masked in the banner", async function () {
    const { gateway, config } = running!;
    expect(config.database.engine).to.equal("postgres");
    expect(gateway.chain.embedded).to.equal(false);
    expect(gateway.chain.chainId).to.equal(31337n);
    const banner = printed.join("\n");
    expect(banner).to.contain(`chain     http://127.0.0.1:${nodePort}, expecting chain id 31337`);
    expect(banner).to.contain(`database  PostgreSQL at postgres://app:[redacted]@127.0.0.1:${server.port}/${databases.gateway}`);
    const ready = await waitUntilReady(gateway.url);
    expect(ready.body.checks.sql.ok).to.equal(true);
    expect(ready.body.checks.chain.ok).to.equal(true);
  });

  it("runs a lot through mint, offer and accept over the HTTP API, with the read model and idempotency", async function () {
    const { gateway } = running!;
    const coop = await addMemberThroughGateway(gateway, { roles: ["cooperative"], country: "ID" });
    const processor = await addMemberThroughGateway(gateway, { roles: ["processor"], country: "MY" });
    tokens.push(coop.token, processor.token);
    const receiver = processor.accounts[0]!.address;

    const mintKey = { "idempotency-key": "pg-mint-1" };
    const accepted = await api(coop.token).post("/v1/lots/mint", delivery(12_500), mintKey);
    expect(accepted.status, JSON.stringify(accepted.body)).to.equal(202);
    const minted = await api(coop.token).settle(accepted.body.id, 60_000);
    expect(minted.final.status, JSON.stringify(minted.final.error)).to.equal("mined");
    const [lotId] = minted.final.outputs.lotIds as string[];
    expect(lotId).to.match(/^[1-9]\d*$/);
    const offered = await api(coop.token).settle((await api(coop.token).post(`/v1/lots/${lotId}/offer`, { receiver }, { "idempotency-key": "pg-offer-1" })).body.id, 60_000);
    expect(offered.final.status, JSON.stringify(offered.final.error)).to.equal("mined");
    const taken = await api(processor.token).settle((await api(processor.token).post(`/v1/lots/${lotId}/accept`, { gramsReceived: "12400" }, { "idempotency-key": "pg-accept-1" })).body.id, 60_000);
    expect(taken.final.status, JSON.stringify(taken.final.error)).to.equal("mined");

    // The chain, then the read model (indexed from the same node, stored in PostgreSQL).
    const provider = connectProvider(`http://127.0.0.1:${nodePort}`, 31337);
    const lots = LotRegistry__factory.connect(gateway.chain.deployments.contracts.LotRegistry!.address, provider);
    expect(await lots.ownerOf(lotId!)).to.equal(receiver);
    provider.destroy();
    await gateway.indexer.waitForBlock(Number(taken.final.transaction.blockNumber));
    const lot = await api(processor.token).get(`/v1/lots/${lotId}`);
    expect(lot.status).to.equal(200);
    expect(lot.body).to.deep.include({ lotId, status: "active", pendingReceiver: null });
    expect(lot.body.custodian).to.deep.equal({ account: receiver.toLowerCase(), memberId: processor.memberId });

    // The same key again: the same request, already mined, and no second lot.
    const again = await api(coop.token).post("/v1/lots/mint", delivery(12_500), mintKey);
    expect(again.status).to.equal(202);
    expect(again.body).to.deep.include({ id: minted.final.id, status: "mined" });
    expect(again.body.outputs.lotIds).to.deep.equal([lotId]);
    const { rows } = await gateway.db.query<{ n: number }>("select count(*)::int as n from outbox where member_id = $1 and kind = 'lots.mint'", [BigInt(coop.memberId)]);
    expect(rows[0]!.n).to.equal(1);
  });

  it("keeps API tokens, custodial keys, the passphrase and both passwords out of the data dir, the log and the tables", async function () {
    const { gateway, dataDir, logFile } = running!;
    const extra = await addMemberThroughGateway(gateway, { roles: ["cooperative"], country: "TH", custodialAccounts: 2 });
    tokens.push(extra.token);
    // Something the relay logs and stores in the outbox, signed with a custodial key.
    const request = await api(extra.token).settle((await api(extra.token).post("/v1/lots/mint", delivery(777), { "idempotency-key": "pg-secret-1" })).body.id, 60_000);
    expect(request.final.status).to.equal("mined");

    // Every custodial key, decrypted as the keystore does, from what PostgreSQL holds.
    const { rows: keks } = await gateway.db.query<{ kdf_params: { salt: string; N: number; r: number; p: number } }>("select kdf_params from keystore_keks");
    const params = keks[0]!.kdf_params;
    const kek = await deriveFromPassphrase(PASSPHRASE, Buffer.from(params.salt, "hex"), params);
    const { rows: stored } = await gateway.db.query<{ address: string; encrypted_key: Buffer }>("select address, encrypted_key from custodial_keys");
    const privateKeys = stored.map((row) => open(kek, row.encrypted_key, Buffer.from(row.address, "utf8"))!.toString("hex"));
    expect(privateKeys.length, "keys of the relayer and three members' four accounts").to.be.at.least(5);
    const { rows: tokenRows } = await gateway.db.query<{ n: number }>("select count(*)::int as n from members_auth where revoked_at is null");
    expect(tokenRows[0]!.n).to.be.at.least(1);
    const forbidden: Array<[string, string]> = [...secrets, ...tokens.map((token): [string, string] => ["an API token", token]), ...privateKeys.map((hex): [string, string] => ["a custodial key", hex])];

    const places: Array<[string, string]> = [];
    const walk = (folder: string) => {
      for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
        const full = path.join(folder, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile()) places.push([full, fs.readFileSync(full).toString("latin1")]);
      }
    };
    // The whole test dir: the gateway's data dir and log, the node's state and log, the deployments.
    walk(dir);
    expect(places.map(([file]) => file)).to.include(logFile);
    expect(places.some(([file]) => file.startsWith(dataDir))).to.equal(true);
    // Raw key bytes, as a file would hold them.
    for (const [file, text] of places) {
      for (const hex of privateKeys) expect(text.includes(Buffer.from(hex, "hex").toString("latin1")), `raw key bytes in ${file}`).to.equal(false);
    }

    // Every table, as text (bytea as hex).
    const tables = await tableDumps("gateway");
    expect(tables.map(([name]) => name)).to.include.members(["table outbox", "table relay_calls", "table custodial_keys", "table keystore_keks", "table members_auth"]);
    places.push(...tables);

    places.push(["the printed lines", printed.join("\n")]);
    for (const [place, text] of places) {
      const lower = text.toLowerCase();
      for (const [what, secret] of forbidden) expect(lower.includes(secret.toLowerCase()), `${what} in ${place}`).to.equal(false);
    }
  });

  describe("with user:password in FIRSTMILE_RPC_URL", function () {
    let withCredentials: Awaited<ReturnType<typeof startConfiguredTestGateway>> | null = null;
    let credentialedEnv: Record<string, string>;
    const credentialedPrinted: string[] = [];
    const rpcUrl = () => `http://${RPC_USER}:${RPC_PASSWORD}@127.0.0.1:${nodePort}`;
    /** Fails naming only what leaked and where, never printing the text (it would show the secret). */
    const expectNoRpcSecret = (place: string, text: string) => {
      for (const [what, secret] of rpcSecrets) expect(text.includes(secret), `${what} in ${place}`).to.equal(false);
    };

    before(async function () {
      credentialedEnv = { ...env, FIRSTMILE_RPC_URL: rpcUrl(), FIRSTMILE_DATABASE_URL: await createDatabase("gateway_rpc_credentials") };
      withCredentials = await startConfiguredTestGateway(path.join(dir, "data-rpc-credentials"), credentialedEnv, credentialedPrinted);
    });
    after(async function () {
      await withCredentials?.gateway.stop();
    });

    it("becomes ready, and /readyz never shows the password", async function () {
      const { gateway } = withCredentials!;
      const deadline = Date.now() + 20_000;
      for (;;) {
        const answer = await client(gateway.url).get("/readyz");
        expectNoRpcSecret("the /readyz answer", JSON.stringify(answer.body));
        if (answer.status === 200) break;
        const failing = Object.entries(answer.body.checks as Record<string, { ok: boolean }>).filter(([, check]) => !check.ok).map(([name]) => name);
        expect(Date.now() < deadline, `not ready after 20 s: ${failing.join(", ")}`).to.equal(true);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });

    it("relays a mint through the node", async function () {
      const { gateway } = withCredentials!;
      const coop = await addMemberThroughGateway(gateway, { roles: ["cooperative"], country: "ID" });
      const accepted = await client(gateway.url, coop.token).post("/v1/lots/mint", delivery(4_200), { "idempotency-key": "pg-credentials-1" });
      expect(accepted.status).to.equal(202);
      const api = client(gateway.url, coop.token);
      const { final } = await api.settle(accepted.body.id, 30_000).catch(async (error: Error) => {
        // Not settled: whatever went wrong must still not show the password to the member.
        expectNoRpcSecret("the request's answer", JSON.stringify((await api.get(`/v1/requests/${accepted.body.id}`)).body));
        throw error;
      });
      expectNoRpcSecret("the request's answer", JSON.stringify(final));
      expect(final.status, final.error?.name).to.equal("mined");
      expect(final.outputs.lotIds).to.have.length(1);
    });

    it("never prints, logs or stores the password", async function () {
      const { logFile } = withCredentials!;
      const banner = credentialedPrinted.join("\n");
      expect(banner).to.contain(`chain     http://${RPC_USER}:[redacted]@127.0.0.1:${nodePort}/, expecting chain id 31337`);
      expectNoRpcSecret("the printed lines", banner);
      const log = fs.readFileSync(logFile, "utf8");
      const started = log
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { msg: string; chain?: string })
        .find((line) => line.msg === "gateway started");
      expect(started?.chain).to.equal(`http://${RPC_USER}:[redacted]@127.0.0.1:${nodePort}/`);
      expectNoRpcSecret("the log file", log);
      for (const [table, text] of await tableDumps("gateway_rpc_credentials")) expectNoRpcSecret(table, text);
    });

    it("refuses to start on a node whose chain id is not FIRSTMILE_CHAIN_ID, naming both ids and not the password", async function () {
      const otherDir = path.join(dir, "wrong-chain");
      const lines: string[] = [];
      const error = await rejection(startConfiguredTestGateway(otherDir, { ...credentialedEnv, FIRSTMILE_CHAIN_ID: "4242" }, lines));
      const log = path.join(otherDir, "gateway.log");
      expectNoRpcSecret("the error", [error.message, error.stack ?? "", inspect(error, { depth: 10 })].join("\n"));
      expectNoRpcSecret("the printed lines", lines.join("\n"));
      if (fs.existsSync(log)) expectNoRpcSecret("the log file", fs.readFileSync(log, "utf8"));
      expect(error.name).to.equal("GatewayStartError");
      expect(error.message, error.message).to.contain("4242").and.contain("31337");
    });
  });
}
