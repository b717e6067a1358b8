import path from "node:path";
import pino from "pino";
import { Wallet, type BaseWallet, type JsonRpcProvider } from "ethers";
import { dataPaths } from "../../src/config";
import { startEmbeddedChain, type EmbeddedChain } from "../../src/gateway/embeddedChain";
import { openKeystore, type Keystore } from "../../src/chain/keystore";
import type { Database } from "../../src/db/database";
import { openPglite } from "../../src/db/pglite";
import { addMember, type AddedMember } from "../../src/gateway/memberAdmin";
import { ensureRelayerAccount } from "../../src/relay/relayerAccount";
import { RelayWorker } from "../../src/relay/worker";
import { jsonRpcClient } from "../../src/chain/jsonRpc";
import { getRelayRequest, type RelayRequest } from "../../src/relay/outbox";
import { FORWARD_REQUEST_TYPES } from "../../src/relay/forwardRequest";
import { ERC2771Forwarder__factory, LotRegistry__factory } from "../../typechain-types";
import { copyChainTemplate } from "../helpers/chainTemplate";
import { copyMigratedPglite } from "../helpers/engines";
import { freePort } from "../helpers/ports";
import { TEST_NODE } from "../helpers/testNode";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

/**
 * A real network for relay tests: anvil with the contracts deployed (the test nodes' quarter-second blocks), PGlite with the
 * migrations, a keystore, the relayer, and members: a cooperative and a processor with custodial
 * keys, and a cooperative whose phone holds its own key.
 */
export type RelayNetwork = Awaited<ReturnType<typeof startRelayNetwork>>;

export async function startRelayNetwork(options: { workerConfig?: Partial<{ batchSize: number; pollIntervalMs: number }> } = {}) {
  const dir = makeTempDir("relay");
  await copyChainTemplate(dir);
  const chain: EmbeddedChain = await startEmbeddedChain({ paths: dataPaths(dir), port: await freePort(), ...TEST_NODE });
  const pgdata = path.join(dir, "pgdata");
  await copyMigratedPglite(pgdata);
  const db: Database = await openPglite({ dir: pgdata });
  const { keystore } = await openKeystore({ db, config: { source: "keyFile", keyFile: path.join(dir, "keystore.key"), create: true } });
  const chainId = BigInt(chain.deployments.chainId);
  const forwarder = chain.deployments.contracts.Forwarder!.address;
  const registry = chain.deployments.contracts.LotRegistry!.address;
  const relayer = await ensureRelayerAccount({ db, keystore, provider: chain.provider, chainId, registry, governor: chain.governor });
  const admin = { db, keystore, registry, governor: chain.governor };
  const phone = Wallet.createRandom();
  const cooperative = await addMember(admin, { roles: ["cooperative"], country: "ID", custodialAccounts: 2 });
  const processor = await addMember(admin, { roles: ["processor"], country: "ID" });
  const selfCustody = await addMember(admin, { roles: ["cooperative"], country: "TH", accounts: [phone.address] });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const config = { batchSize: 50, pollIntervalMs: 200, maxAttempts: 10, staleLockMs: 60_000, ...options.workerConfig };
  /** A worker on the network's outbox, or on `through` (the same database behind test intercepts). */
  const newWorker = (through: Database = db) =>
    new RelayWorker({ db: through, provider: chain.provider, rpc: jsonRpcClient(chain.node.url), chainId, forwarder, registry, relayer: relayer.signer, keystore, config, logger, batchWindowMs: 50 });
  return {
    dir,
    chain,
    db,
    keystore,
    chainId,
    forwarder,
    registry,
    relayer,
    members: { cooperative, processor, selfCustody } as Record<"cooperative" | "processor" | "selfCustody", AddedMember>,
    phone,
    newWorker,
    lots: LotRegistry__factory.connect(registry, chain.provider),
    forwarderContract: ERC2771Forwarder__factory.connect(forwarder, chain.provider),
    async stop() {
      await db.close();
      await chain.stop();
      removeTempDir(dir);
    },
  };
}

/** Polls a request until it is mined or failed. */
export async function settled(db: Database, memberId: bigint, id: bigint, timeoutMs = 30_000): Promise<RelayRequest> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const request = await getRelayRequest(db, { memberId, id });
    if (request && (request.status === "mined" || request.status === "failed")) return request;
    if (Date.now() > deadline) throw new Error(`request ${id} not settled: ${JSON.stringify(request, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A delivery as the API takes it. */
export function delivery(grams: number, form = 1) {
  return { form, grams: String(grams), metadata: `0x${"11".repeat(32)}`, origin: `0x${"22".repeat(32)}` };
}

/** A ForwardRequest signed by a member's own wallet (a phone), for `data` on the registry. */
export async function signOwnRequest(
  network: Pick<RelayNetwork, "chainId" | "forwarder" | "registry" | "forwarderContract">,
  wallet: BaseWallet,
  data: string,
  options: { nonce?: bigint; deadline?: bigint; chainId?: bigint; gas?: bigint } = {},
) {
  const nonce = options.nonce ?? (await network.forwarderContract.nonces(wallet.address));
  const forwardRequest = {
    from: wallet.address,
    to: network.registry,
    value: 0n,
    gas: options.gas ?? 500_000n,
    nonce,
    deadline: options.deadline ?? BigInt(Math.floor(Date.now() / 1000) + 3600),
    data,
  };
  const domain = { name: "firstmile", version: "1", chainId: options.chainId ?? network.chainId, verifyingContract: network.forwarder };
  const signature = await wallet.signTypedData(domain, FORWARD_REQUEST_TYPES as unknown as Record<string, Array<{ name: string; type: string }>>, forwardRequest);
  return { forwardRequest, signature };
}

export type { JsonRpcProvider };
