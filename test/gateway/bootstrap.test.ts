import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { expect } from "chai";
import { Command } from "commander";
import pg from "pg";
import { Wallet, ZeroAddress, parseEther, toBeHex, type HDNodeWallet } from "ethers";
import { writeBesuNetwork } from "../../deploy/networks/besu-qbft";
import { registerGovernanceCommand } from "../../src/cli/commands/governance";
import { registerMembersCommand } from "../../src/cli/commands/members";
import { registerNetworkCommand } from "../../src/cli/commands/network";
import { runVerify } from "../../src/cli/commands/verify";
import { startAnvil, type RunningAnvil } from "../../src/chain/anvil";
import { CONTRACT_NAMES, readDeployments } from "../../src/chain/deployments";
import { DEVELOPMENT_ACCOUNTS, governorSigner, parseGovernorKeySource, releaseGovernorSigner } from "../../src/chain/governorKey";
import { connectProvider } from "../../src/chain/provider";
import { AttestationRegistry__factory, LotRegistry__factory } from "../../typechain-types";
import { startFakeKubo, type FakeKubo } from "../evidence/fakeKubo";
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
 * Production from zero, as docs/production.md tells an operator: a chain node the gateway did not
 * start (anvil standing in for Besu, as chain 424242, with no development account at all), a
 * governor key generated for the occasion and read from a file, `firstmile network deploy`, the
 * governor adding the relayer and members from the command line, a gateway on the production
 * profile (PostgreSQL, Kubo's RPC API, a key file outside the data dir), and a lot minted, handed
 * over and verified against the node.
 */
const CHAIN_ID = 424242;
const POSTGRES_BIN = findPostgresBinaries();
const IN_CI = process.env.CI === "true" || process.env.CI === "1";
/** The first key of anvil's and Hardhat's public test mnemonic. */
const PUBLIC_TEST_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

if (POSTGRES_BIN) {
  describe("production from zero: deploy, governor, relayer, members, gateway (external anvil as chain 424242, PostgreSQL)", bootstrap);
} else if (IN_CI) {
  describe("production from zero", function () {
    it("needs the PostgreSQL server binaries in CI", function () {
      throw new Error("no /usr/lib/postgresql/*/bin/initdb: install the postgresql package (apt-get install postgresql)");
    });
  });
} else {
  console.warn("\n!!! PostgreSQL binaries not found: the production bootstrap test is left out; under CI=true this is a failure.\n");
}

/**
 * A database for one gateway, made as docs/production.md says: a login role that is no superuser,
 * a database it owns with nothing granted to PUBLIC, and the public schema handed to it. Answers
 * the URL the gateway uses, as that role.
 */
async function createGatewayDatabase(server: PostgresServer, name: string): Promise<string> {
  const role = `${name}_role`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'not-checked-by-trust-auth'`);
    await admin.query(`CREATE DATABASE ${name} OWNER ${role} ENCODING 'UTF8' TEMPLATE template0`);
    await admin.query(`REVOKE ALL ON DATABASE ${name} FROM PUBLIC`);
  } finally {
    await admin.end();
  }
  const inside = new pg.Client({ connectionString: server.urlFor(name) });
  await inside.connect();
  try {
    await inside.query("REVOKE ALL ON SCHEMA public FROM PUBLIC");
    await inside.query(`ALTER SCHEMA public OWNER TO ${role}`);
  } finally {
    await inside.end();
  }
  return server.urlFor(name).replace("postgres://app@", `postgres://${role}@`);
}

/** Runs `firstmile <args>` in-process with `register`'s command and returns what it printed. */
async function firstmile(register: (program: Command, io: { env: Record<string, string>; cwd: string; stdout: PassThrough }) => void, env: Record<string, string>, cwd: string, ...args: string[]): Promise<string> {
  const { stdout, text } = captureStreams();
  const program = new Command("firstmile").exitOverride();
  register(program, { env, cwd, stdout });
  await program.parseAsync(["node", "firstmile", ...args]);
  return text().out;
}

function bootstrap(this: Mocha.Suite) {
  this.timeout(120_000);
  let dir: string;
  let node: RunningAnvil;
  let kubo: FakeKubo;
  let kuboClosed = false;
  let rpcUrl: string;
  let governor: Wallet | HDNodeWallet;
  let keyFile: string;
  let deploymentsFile: string;
  let env: Record<string, string>;
  let running: Awaited<ReturnType<typeof startConfiguredTestGateway>> | null = null;
  const rpc = (method: string, params: unknown[]) =>
    fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) }).then(async (r) => ((await r.json()) as { result: unknown }).result);
  const fund = (address: string) => rpc("anvil_setBalance", [address, toBeHex(parseEther("100"))]);

  before(async function () {
    dir = makeTempDir("bootstrap");
    const port = await freePort();
    node = await startAnvil({ stateDir: path.join(dir, "node"), port, chainId: CHAIN_ID, accounts: 0, ...TEST_NODE });
    rpcUrl = node.url;
    kubo = await startFakeKubo();
    governor = Wallet.createRandom();
    await fund(governor.address);
    keyFile = path.join(dir, "secrets", "governor.key");
    fs.mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
    fs.writeFileSync(keyFile, `${governor.privateKey}\n`, { mode: 0o600 });
    deploymentsFile = path.join(dir, "ops", "deployments.json");
    const keystoreKey = path.join(dir, "secrets", "keystore.key");
    fs.writeFileSync(keystoreKey, Buffer.from(Wallet.createRandom().privateKey.slice(2), "hex").toString("hex"), { mode: 0o600 });
    const server = await sharedPostgres();
    env = {
      FIRSTMILE_PROFILE: "production",
      FIRSTMILE_DATA_DIR: path.join(dir, "data"),
      FIRSTMILE_RPC_URL: rpcUrl,
      FIRSTMILE_CHAIN_ID: String(CHAIN_ID),
      FIRSTMILE_DATABASE_URL: await createGatewayDatabase(server, newDatabaseName("bootstrap")),
      FIRSTMILE_KUBO_URL: kubo.url,
      FIRSTMILE_DEPLOYMENTS_FILE: deploymentsFile,
      FIRSTMILE_KEYSTORE_KEY_FILE: keystoreKey,
      FIRSTMILE_GOVERNOR_KEY: `file:${keyFile}`,
      FIRSTMILE_LOG_LEVEL: "silent",
    };
  });

  after(async function () {
    await running?.gateway.stop();
    await node?.stop();
    if (!kuboClosed) await kubo?.close();
    removeTempDir(dir);
  });

  it("runs a node with no development account: none unlocked, none funded", async function () {
    expect(await rpc("eth_accounts", [])).to.deep.equal([]);
    expect(BigInt((await rpc("eth_chainId", [])) as string)).to.equal(BigInt(CHAIN_ID));
    for (const account of DEVELOPMENT_ACCOUNTS.slice(0, 3)) expect(BigInt((await rpc("eth_getBalance", [account, "latest"])) as string)).to.equal(0n);
  });

  it("refuses a public test key, a key file others can read, and a bare key on the command line", async function () {
    const out = path.join(dir, "refused.json");
    const publicKey = await rejection(firstmile(registerNetworkCommand, { PUBLIC: PUBLIC_TEST_KEY }, dir, "network", "deploy", "--rpc", rpcUrl, "--governor", "env:PUBLIC", "--out", out));
    expect(publicKey.message).to.match(/0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 is a public development account; it cannot govern chain 424242/);
    // The same account offered by an external signer (anvil impersonating it) is refused too.
    await rpc("anvil_impersonateAccount", [DEVELOPMENT_ACCOUNTS[0]]);
    const external = await rejection(firstmile(registerNetworkCommand, {}, dir, "network", "deploy", "--rpc", rpcUrl, "--governor", `rpc:${rpcUrl}`, "--out", out));
    expect(external.message).to.contain("is a public development account");
    await rpc("anvil_stopImpersonatingAccount", [DEVELOPMENT_ACCOUNTS[0]]);
    const loose = path.join(dir, "loose.key");
    fs.writeFileSync(loose, governor.privateKey, { mode: 0o644 });
    fs.chmodSync(loose, 0o644);
    const looseError = await rejection(firstmile(registerNetworkCommand, {}, dir, "network", "deploy", "--rpc", rpcUrl, "--governor", `file:${loose}`, "--out", out));
    expect(looseError.message).to.contain("is readable or writable by others (mode 644)");
    const bare = await rejection(firstmile(registerNetworkCommand, {}, dir, "network", "deploy", "--rpc", rpcUrl, "--governor", governor.privateKey, "--out", out));
    expect(bare.message).to.contain("A governor key source is env:NAME, file:/path or rpc:<url>");
    expect(bare.message).to.not.contain(governor.privateKey.slice(2, 20));
    expect(fs.existsSync(out)).to.equal(false);
    expect(await rpc("eth_getTransactionCount", [governor.address, "latest"])).to.equal("0x0");
  });

  it("deploys with the governor's key file: the contracts, no demo scheme, and the file where the gateway reads it", async function () {
    const printed = await firstmile(registerNetworkCommand, {}, dir, "network", "deploy", "--rpc", rpcUrl, "--governor", `file:${keyFile}`, "--out", deploymentsFile, "--chain-id", String(CHAIN_ID), "--country", "MY", "--governance-delay", "0", "--quorum", "1");
    expect(printed).to.contain(`deploying to chain ${CHAIN_ID} as ${governor.address}`);
    const deployments = readDeployments(deploymentsFile)!;
    expect(deployments).to.include({ network: "production", chainId: CHAIN_ID });
    expect(Object.keys(deployments.contracts).sort()).to.deep.equal([...CONTRACT_NAMES].sort());
    const provider = connectProvider(rpcUrl, CHAIN_ID);
    try {
      for (const contract of Object.values(deployments.contracts)) expect(await provider.getCode(contract.address)).to.not.equal("0x");
      const attestations = AttestationRegistry__factory.connect(deployments.contracts.AttestationRegistry!.address, provider);
      expect(await attestations.schemeCount(), "no demo scheme on a network that is not the embedded one").to.equal(0n);
      const lots = LotRegistry__factory.connect(deployments.contracts.LotRegistry!.address, provider);
      const [member, accounts] = await lots.getMember(1n);
      expect(accounts).to.deep.equal([governor.address]);
      expect(member.country).to.equal("0x4d59");
      // Besu's account permissioning, as the lot registry answers it: the governor may create contracts, a stranger nothing.
      expect(await lots.transactionAllowed(governor.address, ZeroAddress, 0, 0, 0, "0x")).to.equal(true);
      expect(await lots.transactionAllowed(Wallet.createRandom().address, deployments.contracts.Forwarder!.address, 0, 0, 0, "0x")).to.equal(false);
    } finally {
      provider.destroy();
    }
    expect(printed).to.contain(`permissions-accounts-contract-address at the LotRegistry ${deployments.contracts.LotRegistry!.address}`);

    // A second run deploys nothing; a record of another chain is never overwritten.
    const nonce = await rpc("eth_getTransactionCount", [governor.address, "latest"]);
    await firstmile(registerNetworkCommand, {}, dir, "network", "deploy", "--rpc", rpcUrl, "--governor", `file:${keyFile}`, "--out", deploymentsFile);
    expect(await rpc("eth_getTransactionCount", [governor.address, "latest"])).to.equal(nonce);
    const other = path.join(dir, "other-chain.json");
    fs.writeFileSync(other, JSON.stringify({ network: "x", chainId: 7, contracts: {} }));
    const refused = await rejection(firstmile(registerNetworkCommand, {}, dir, "network", "deploy", "--rpc", rpcUrl, "--governor", `file:${keyFile}`, "--out", other));
    expect(refused.message).to.contain("records chain 7, not chain 424242");
  });

  it("produces the same contracts and the same file shape as the embedded deploy, and the Besu config names the deployed lot registry", async function () {
    const embeddedFile = path.join(dir, "embedded", "deployments", "embedded.json");
    await copyChainTemplateTo({ chainState: path.join(dir, "embedded", "chain"), deploymentsFile: embeddedFile });
    const embedded = readDeployments(embeddedFile)!;
    const external = readDeployments(deploymentsFile)!;
    const shape = (record: typeof embedded) => ({
      keys: Object.keys(record).sort(),
      contracts: Object.fromEntries(Object.entries(record.contracts).map(([name, c]) => [name, Object.keys(c).sort().map((key) => `${key}:${typeof (c as unknown as Record<string, unknown>)[key]}`)])),
    });
    expect(shape(external)).to.deep.equal(shape(embedded));
    // Same bytecode behind each name, but for the immutables (the forwarder, the lot registry's address).
    const embeddedArtifacts = Object.keys(embedded.contracts).sort();
    expect(Object.keys(external.contracts).sort()).to.deep.equal(embeddedArtifacts);

    // The QBFT network generated for this governor before anything was deployed points Besu's
    // account permissioning at the address the deploy then used.
    const validators = Array.from({ length: 4 }, () => Wallet.createRandom());
    const written = writeBesuNetwork(path.join(dir, "besu"), {
      validators: validators.map((v) => v.signingKey.publicKey),
      governors: [governor.address],
      organisations: ["coop"],
      chainId: CHAIN_ID,
      blockPeriodSeconds: 2,
      gasLimit: 100_000_000n,
    });
    expect(written.permissioningContract).to.equal(external.contracts.LotRegistry!.address);
    expect(fs.readFileSync(path.join(dir, "besu", "rpc-coop.toml"), "utf8")).to.contain(`permissions-accounts-contract-address="${external.contracts.LotRegistry!.address}"`);
  });

  it("lets the governor add the relayer and members from the command line, starts the gateway, and relays a lot through mint, handover and verification", async function () {
    // Without the governor's key: the documented refusal.
    const { FIRSTMILE_GOVERNOR_KEY: _unused, ...withoutKey } = env;
    const noKey = await rejection(firstmile(registerMembersCommand, withoutKey, dir, "members", "add", "--roles", "relayer", "--country", "MY", "--no-token"));
    expect(noKey.message).to.contain("No governor account to sign with");

    // The gateway refuses to start without a relayer and says how to add one.
    const missing = await rejection(startConfiguredTestGateway(path.join(dir, "data"), env));
    expect(missing.message).to.contain("No relayer account for chain 424242");

    const relayerOut = await firstmile(registerMembersCommand, env, dir, "members", "add", "--roles", "relayer", "--country", "MY", "--no-token");
    const relayer = /account (0x[0-9a-fA-F]{40}) custodial/.exec(relayerOut)?.[1];
    expect(relayer, relayerOut).to.be.a("string");
    // anvil charges gas; a Besu network with zero base fee does not, and the relayer needs nothing there.
    await fund(relayer!);
    const coopOut = await firstmile(registerMembersCommand, env, dir, "members", "add", "--roles", "cooperative", "--country", "MY");
    const coopToken = /API token \(shown once, store it now\): (\S+)/.exec(coopOut)?.[1];
    expect(coopToken, coopOut).to.be.a("string");

    running = await startConfiguredTestGateway(path.join(dir, "data"), env);
    const { gateway } = running;
    expect(gateway.relayer.toLowerCase()).to.equal(relayer!.toLowerCase());
    // The gateway runs as the documented role: no superuser, owner of its schema only.
    const { rows: roles } = await gateway.db.query<{ rolsuper: boolean; rolcreatedb: boolean }>("select rolsuper, rolcreatedb from pg_roles where rolname = current_user");
    expect(roles[0]).to.deep.equal({ rolsuper: false, rolcreatedb: false });
    expect(gateway.chain.chainId).to.equal(BigInt(CHAIN_ID));
    // The second member through the running gateway's control socket, signed by the same key.
    const processor = await addMemberThroughGateway(gateway, { roles: ["processor"], country: "ID" });
    await waitUntilReady(gateway.url);

    const coop = client(gateway.url, coopToken!);
    const minted = await coop.settle((await coop.post("/v1/lots/mint", delivery(25_000), { "idempotency-key": "bootstrap-mint" })).body.id, 60_000);
    expect(minted.final.status, JSON.stringify(minted.final.error)).to.equal("mined");
    const [lotId] = minted.final.outputs.lotIds as string[];
    const receiver = processor.accounts[0]!.address;
    const offered = await coop.settle((await coop.post(`/v1/lots/${lotId}/offer`, { receiver })).body.id, 60_000);
    expect(offered.final.status, JSON.stringify(offered.final.error)).to.equal("mined");
    const taker = client(gateway.url, processor.token);
    const taken = await taker.settle((await taker.post(`/v1/lots/${lotId}/accept`, { gramsReceived: "24900" })).body.id, 60_000);
    expect(taken.final.status, JSON.stringify(taken.final.error)).to.equal("mined");
    await gateway.indexer.waitForBlock(Number(taken.final.transaction.blockNumber));

    // Verified against the node itself, trusting nothing the gateway says.
    const streams = captureStreams();
    const code = await runVerify(lotId!, { rpc: rpcUrl, gateway: gateway.url }, streams);
    expect(code, `${streams.text().out}\n${streams.text().err}`).to.equal(0);
    const lots = LotRegistry__factory.connect(gateway.chain.deployments.contracts.LotRegistry!.address, connectProvider(rpcUrl, CHAIN_ID));
    expect(await lots.ownerOf(lotId!)).to.equal(receiver);
    (lots.runner as { provider?: { destroy(): void } } | null)?.provider?.destroy();
  });

  it("registers a scheme and accredits a certifier through governance from the command line with the governor's key", async function () {
    const proposed = await firstmile(registerGovernanceCommand, env, dir, "governance", "propose", "--target", "attestations", "--function", "registerScheme", "--args", '["Rainforest pilot", "1.0", 2, 2, 31536000]');
    const id = /as (0x[0-9a-f]{64}) \(transaction/.exec(proposed)?.[1];
    expect(id, proposed).to.be.a("string");
    const executed = await firstmile(registerGovernanceCommand, env, dir, "governance", "execute", id!);
    expect(executed).to.contain("executed attestations.registerScheme(Rainforest pilot, 1.0, 2, 2, 31536000)");
    // Accrediting a certifier for it: a member added by the governor, then a proposal.
    const certifierOut = await firstmile(registerMembersCommand, env, dir, "members", "add", "--roles", "certifier", "--country", "MY", "--no-token");
    const certifier = /member (\d+) added/.exec(certifierOut)![1]!;
    const until = 1_900_000_000;
    const accredit = await firstmile(registerGovernanceCommand, env, dir, "governance", "propose", "--target", "attestations", "--function", "accredit", "--args", `[1, ${certifier}, ${until}]`);
    const accreditId = /as (0x[0-9a-f]{64}) \(transaction/.exec(accredit)![1]!;
    await firstmile(registerGovernanceCommand, env, dir, "governance", "execute", accreditId);
    const provider = connectProvider(rpcUrl, CHAIN_ID);
    try {
      const attestations = AttestationRegistry__factory.connect(readDeployments(deploymentsFile)!.contracts.AttestationRegistry!.address, provider);
      expect(await attestations.schemeCount()).to.equal(1n);
      expect(await attestations.accreditedUntil(1, BigInt(certifier))).to.equal(BigInt(until));
    } finally {
      provider.destroy();
    }
  });

  it("signs as a governor through an external signer (rpc:) and from an environment variable (env:)", async function () {
    const provider = connectProvider(rpcUrl, CHAIN_ID);
    try {
      // An external signer holding an account of its own (anvil unlocking an address no public key signs for).
      const external = Wallet.createRandom().address;
      await rpc("anvil_impersonateAccount", [external]);
      await fund(external);
      const viaRpc = await governorSigner(parseGovernorKeySource(`rpc:${rpcUrl}#${external}`, {}, dir), provider, BigInt(CHAIN_ID));
      expect(await viaRpc.getAddress()).to.equal(external);
      const receipt = await (await viaRpc.sendTransaction({ to: external, value: 1n })).wait();
      expect(receipt?.status).to.equal(1);
      releaseGovernorSigner(viaRpc);
      await rpc("anvil_stopImpersonatingAccount", [external]);
      // A signer that signs for another chain is refused.
      await rejection(governorSigner(parseGovernorKeySource(`rpc:${rpcUrl}`, {}, dir), provider, 1n)).then((error) => expect(error.message).to.contain(`signs for chain ${CHAIN_ID}, not 1`));

      const viaEnv = await governorSigner(parseGovernorKeySource("env:GOV_KEY", { GOV_KEY: governor.privateKey }, dir), provider, BigInt(CHAIN_ID));
      expect(await viaEnv.getAddress()).to.equal(governor.address);
      // What a banner or a log would show of it: the variable's name, never the key.
      expect(JSON.stringify(parseGovernorKeySource("env:GOV_KEY", { GOV_KEY: governor.privateKey }, dir))).to.not.contain(governor.privateKey.slice(2));
    } finally {
      provider.destroy();
    }
  });

  it("rotates the relayer: a new relayer member is used from the next start, and the old one is suspended", async function () {
    const old = running!.gateway.relayer;
    await running!.gateway.stop();
    running = null;
    const added = await firstmile(registerMembersCommand, env, dir, "members", "add", "--roles", "relayer", "--country", "MY", "--no-token");
    const [, memberId, fresh] = /member (\d+) added[\s\S]*account (0x[0-9a-fA-F]{40}) custodial/.exec(added)!;
    await fund(fresh!);
    running = await startConfiguredTestGateway(path.join(dir, "data"), env);
    expect(running.gateway.relayer.toLowerCase()).to.equal(fresh!.toLowerCase());
    const listed = await firstmile(registerMembersCommand, env, dir, "members", "list");
    const oldMember = new RegExp(`member (\\d+) [^\\n]*relayer[^\\n]*\\n\\s+${old}`, "i").exec(listed)?.[1];
    expect(oldMember, listed).to.be.a("string");
    expect(oldMember).to.not.equal(memberId);
    await firstmile(registerMembersCommand, env, dir, "members", "suspend", oldMember!);
    const lots = LotRegistry__factory.connect(running.gateway.chain.deployments.contracts.LotRegistry!.address, connectProvider(rpcUrl, CHAIN_ID));
    expect(await lots.transactionAllowed(old, running.gateway.chain.deployments.contracts.Forwarder!.address, 0, 0, 0, "0x")).to.equal(false);
    expect(await lots.transactionAllowed(fresh!, running.gateway.chain.deployments.contracts.Forwarder!.address, 0, 0, 0, "0x")).to.equal(true);
    (lots.runner as { provider?: { destroy(): void } } | null)?.provider?.destroy();
  });

  it("keeps relaying lots with Kubo down: /readyz 200 degraded naming IPFS, evidence uploads 503 with a clear code", async function () {
    const { gateway } = running!;
    await kubo.close();
    kuboClosed = true;
    const ready = await client(gateway.url).get("/readyz");
    expect(ready.status, JSON.stringify(ready.body)).to.equal(200);
    expect(ready.body.status).to.equal("degraded");
    expect(ready.body.degraded).to.deep.equal(["ipfs"]);
    expect(ready.body.checks.ipfs.ok).to.equal(false);
    expect(ready.body.checks.ipfs.detail.effect).to.contain("lot writes and reads go on");
    expect(ready.body.checks.chain.ok).to.equal(true);

    const { stdout, text } = captureStreams();
    const program = new Command("firstmile").exitOverride();
    registerMembersCommand(program, { env, cwd: dir, stdout });
    await program.parseAsync(["node", "firstmile", "members", "add", "--roles", "cooperative", "--country", "TH"]);
    const token = /API token \(shown once, store it now\): (\S+)/.exec(text().out)![1]!;
    const upload = await fetch(`${gateway.url}/v1/evidence?type=text/csv`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" }, body: "plot,ha\nA,1\n" });
    expect(upload.status).to.equal(503);
    expect(upload.headers.get("retry-after")).to.equal("30");
    expect(((await upload.json()) as { error: { code: string } }).error.code).to.equal("evidence_store_unavailable");

    const api = client(gateway.url, token);
    const minted = await api.settle((await api.post("/v1/lots/mint", delivery(3_000))).body.id, 60_000);
    expect(minted.final.status, JSON.stringify(minted.final.error)).to.equal("mined");
  });
}
