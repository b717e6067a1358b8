import fs from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { JsonRpcProvider, Signer } from "ethers";
import pino, { type Logger } from "pino";
import { createApp, createEpcisRoutes, createRateLimiter, createReadRoutes, createTokenCache, type TokenCache } from "../api";
import { createAttestationRoutes } from "../api/attestationRoutes";
import { createIpfsGatewayRouter } from "../api/ipfsGatewayRouter";
import { createEvidenceRoutes } from "../api/evidenceRoutes";
import { createFarmerRoutes } from "../api/farmerRoutes";
import { createPrivateEvidenceRoutes } from "../api/privateEvidenceRoutes";
import { createDdsRoutes } from "../api/ddsRoutes";
import { createOriginRoutes } from "../api/originRoutes";
import { cooperativeGuard } from "../api/cooperative";
import { createImportRoutes } from "../api/importRoutes";
import { createEudrRoutes } from "../api/eudrRoutes";
import { monitorPreparer, type EudrCheckContext } from "../eudr";
import type { ImportContext } from "../imports";
import { createRelayRoutes, relayErrorMapper } from "../api/relayRoutes";
import { createFieldRoutes, fieldErrorMapper } from "../api/fieldRoutes";
import { createFieldRouter } from "../web/field/router";
import type { Deployments } from "../chain/deployments";
import { openKeystore, type Keystore } from "../chain/keystore";
import { redactUrl, type Config } from "../config";
import { openDatabase, type Database } from "../db";
import { evidenceLimitsFrom, evidenceStoreConfig, openEvidenceStore, withEvidencePeers, type EvidenceStore } from "../evidence";
import { startConfiguredIndexer, type Indexer } from "../indexer";
import { readModelSnapshot } from "../indexer/queries";
import { memberStandingReader } from "../membership";
import { crashHookFrom } from "../relay/crashPoints";
import { DeliveryCapacity, PlotRegistry } from "../origins";
import { jsonRpcClient } from "../chain/jsonRpc";
import { useNativeKeccak } from "../chain/nativeKeccak";
import { OutboxWriter, countRelayBacklog } from "../relay/outbox";
import { ensureRelayerAccount } from "../relay/relayerAccount";
import { RelayWorker } from "../relay/worker";
import { createQrRouter } from "../web/qrRoutes";
import { createPaymentRoutes } from "../api/paymentRoutes";
import { createFarmerPageRoutes } from "../api/farmerPageRoutes";
import { createPassportRouter } from "../web/passport/router";
import { premiumFigures } from "../payments/publicFigures";
import { EXAMPLE_EXCHANGE_RATES } from "../payments/exchangeRates";
import { createPassportCache, type PassportCache } from "../web/passport/passportCache";
import { startControlSocket, type ControlSocket } from "./controlSocket";
import { GatewayStartError, connectChain, type ConnectedChain } from "./connectChain";
import { lockDataDir } from "./dataDirLock";

/** Relay requests per second from which the read model waits for the burst to pass (see the indexer). */
const WRITE_BURST_PER_SECOND = 200;

export { GatewayStartError };

/**
 * The whole gateway in one process, from one validated config: the chain (anvil started under
 * the data dir on the embedded default, or a node's JSON-RPC and its deployments file), the SQL
 * store, the custodial keystore, the evidence store, the relayer account, the relay worker, the
 * indexer, and the HTTP app (relay routes, the read model's query routes, evidence upload and
 * read, farmers and private documents, the IPFS trustless gateway at `/ipfs`, health and readiness).
 * `stop()` drains the worker and closes everything in reverse order; anvil saves its state.
 */
export type StartGatewayParameters = {
  config: Config;
  /** Structured logs (default: pino to stdout at the configured level). */
  logger?: Logger | undefined;
  /** Human-readable progress lines (the CLI prints them). */
  log?: ((line: string) => void) | undefined;
};

export type Gateway = {
  /** `http://host:port` of the HTTP API. */
  url: string;
  /** Base URL of the public lot pages and their QR codes (FIRSTMILE_PUBLIC_URL, else `url`). */
  publicUrl: string;
  chain: Pick<ConnectedChain, "url" | "chainId" | "deployments" | "embedded" | "withInstantBlocks">;
  relayer: string;
  /** A governor that can sign (embedded: anvil's first development account), or null. */
  governor: Signer | null;
  /** The local control socket the `firstmile members` commands use while the gateway runs, or null. */
  controlSocket: string | null;
  /** The API's request limits (per second), which a client calling in bulk keeps under. */
  rateLimits: Config["rateLimits"];
  db: Database;
  worker: RelayWorker;
  indexer: Indexer;
  /** The cooperatives' plots (overlap index, versions) and the capacity rule. */
  plots: PlotRegistry;
  capacity: DeliveryCapacity;
  /** The public lot pages kept (one build and chain check per lot and block). */
  pages: PassportCache;
  evidence: EvidenceStore;
  stop(): Promise<void>;
};

export async function startGateway(parameters: StartGatewayParameters): Promise<Gateway> {
  const { config } = parameters;
  const log = parameters.log ?? (() => {});
  const logger = parameters.logger ?? pino({ level: config.log.level, base: { service: "firstmile-gateway" } });
  fs.mkdirSync(config.dataDir, { recursive: true });
  // Before anything starts: a second gateway on this data dir refuses here, having touched nothing.
  const lock = lockDataDir(config.dataDir, { command: "start", httpPort: config.http.port, chainPort: config.chain.node?.port ?? null });
  useNativeKeccak();
  // Undo in reverse order whatever started, if a later step fails.
  const stack: Array<{ name: string; stop: () => Promise<unknown> }> = [];
  const unwind = async () => {
    for (const part of stack.reverse()) {
      await part.stop().catch((error: unknown) => logger.error({ err: error, part: part.name }, "stop failed"));
    }
  };

  stack.push({ name: "data dir lock", stop: async () => lock.release() });
  // One line per phase with the seconds it took, so whoever waits knows what for.
  let phaseStarted = performance.now();
  const phase = (what: string) => {
    const now = performance.now();
    log(`ready     ${what} (${((now - phaseStarted) / 1000).toFixed(1)} s)`);
    phaseStarted = now;
  };

  try {
    // The chain and the database start side by side: neither needs the other until the relay.
    const since = (started: number) => `${((performance.now() - started) / 1000).toFixed(1)} s`;
    const startedAt = performance.now();
    const [chainStart, databaseOpen] = await Promise.allSettled([
      connectChain(config, log).then((connected) => {
        log(`ready     ${connected.embedded ? "chain: embedded node and contracts" : "chain: node and contracts"} (${since(startedAt)})`);
        return connected;
      }),
      (async () => {
        const opened = await openDatabase({ config: config.database, onBackgroundError: (error) => logger.warn({ err: error }, "database connection error") });
        try {
          const { keystore, notices } = await openKeystore({ db: opened.db, config: config.keystore, logger });
          log(`ready     database and keystore (${since(startedAt)}, alongside the chain)`);
          return { ...opened, keystore, notices };
        } catch (error) {
          await opened.db.close().catch(() => {});
          throw error;
        }
      })(),
    ]);
    if (chainStart.status === "fulfilled") stack.push({ name: "chain", stop: () => chainStart.value.stop() });
    if (databaseOpen.status === "fulfilled") stack.push({ name: "database", stop: () => databaseOpen.value.db.close() });
    if (chainStart.status === "rejected") throw chainStart.reason;
    if (databaseOpen.status === "rejected") throw databaseOpen.reason;
    phaseStarted = performance.now();
    const chain = chainStart.value;
    const { provider, deployments, governor, chainId, forwarder, registry } = chain;
    const chainUrl = chain.url;
    const attestationRegistry = deployments.contracts.AttestationRegistry?.address;
    const ddsRegistry = deployments.contracts.DdsRegistry?.address;
    const payoutRegistry = deployments.contracts.PayoutRegistry?.address;
    const targets = [registry, ...(attestationRegistry ? [attestationRegistry] : []), ...(ddsRegistry ? [ddsRegistry] : []), ...(payoutRegistry ? [payoutRegistry] : [])];

    // SQL, keystore, evidence.
    const { db, migrations, keystore, notices } = databaseOpen.value;
    if (migrations.applied.length > 0) log(`database: applied ${migrations.applied.map((m) => m.file).join(", ")}`);
    for (const notice of notices) log(`keystore: ${notice}`);
    const localEvidence: EvidenceStore = await openEvidenceStore(evidenceStoreConfig(config), evidenceLimitsFrom(config));
    stack.push({ name: "evidence", stop: () => localEvidence.close() });
    // Evidence other organisations' gateways hold, read through theirs and verified (docs/network.md).
    const evidence = withEvidencePeers(localEvidence, config.evidence.peers, {
      onFetched: (event) => logger.info(event, "evidence fetched from a peer gateway"),
    });
    // The plots' overlap index and the origins the capacity rule knows, loaded from SQL.
    const plots = await PlotRegistry.load(db, config.plots);
    const capacity = new DeliveryCapacity(db, plots);
    const imports: ImportContext = { db, plots, capacity, sealer: keystore.records, evidence, maxAttempts: config.relay.maxAttempts, maxBytes: config.imports.maxBytes };
    // The deforestation check: plots read here, clear ones attested by the monitor through the relay.
    const eudrChecks: EudrCheckContext | undefined = attestationRegistry
      ? { db, evidence, maxAttempts: config.relay.maxAttempts, prepareMonitor: monitorPreparer({ provider, registry, attestationRegistry, keystore }) }
      : undefined;
    phase("evidence store and plots");

    // Relayer and worker.
    // Only a development node's governor creates and funds a relayer unasked; elsewhere the operator adds one.
    const relayer = await ensureRelayerAccount({ db, keystore, provider, chainId, registry, governor: chain.developmentGovernor ? governor : null, log });
    const crash = crashHookFrom(config.testCrashAt, (point) => fs.writeSync(2, `firstmile: test crash point ${point} reached: SIGKILL\n`));
    const worker = new RelayWorker({ db, provider, rpc: jsonRpcClient(chain.url), chainId, forwarder, registry, attestationRegistry, ddsRegistry, payoutRegistry, relayer: relayer.signer, keystore, config: config.relay, logger, crash });
    await worker.start();
    stack.push({ name: "relay worker", stop: () => worker.stop() });
    const writer = new OutboxWriter(db);
    writer.handTo(worker);
    stack.push({
      name: "outbox writer",
      stop: async () => {
        await writer.flush();
        writer.handTo(null);
      },
    });

    // The read model. A fatal indexer error (a history-head mismatch) is logged and shown by /readyz.
    // During a burst of writes the read model waits (up to 5 s at a time) and then indexes the
    // burst's blocks in larger batches: HTTP intake and relaying keep the CPU meanwhile.
    // The lot pages: built and checked once per lot and block of the read model; the pages a
    // crowd is viewing are checked at a new block before views are told of it (none waits).
    const pages = createPassportCache({ indexedBlock: () => indexer.status().indexedBlock, snapshot: (read) => readModelSnapshot(db, (q) => read(q)) });
    const indexer = startConfiguredIndexer({
      db,
      config,
      deployments,
      logger: logger.child({ part: "indexer" }),
      deferWhile: () => writer.recentRate() >= WRITE_BURST_PER_SECOND,
      beforeAdvance: (block) => pages.refreshAhead(block),
    });
    indexer.done.catch((error: unknown) => logger.error({ err: error }, "indexer stopped"));
    stack.push({ name: "indexer", stop: () => indexer.stop() });

    // HTTP. The public base URL is the gateway's own until it listens, unless configured.
    let publicUrl = config.publicUrl ?? "";
    const publicBase = () => publicUrl;
    // Totals also in one currency: the configured rates, else the demo's example rates (marked) when it seeds the demo.
    const exchangeRates = config.exchangeRates ?? (config.demo.seed ? EXAMPLE_EXCHANGE_RATES : null);
    const tokenCache: TokenCache = createTokenCache(5_000);
    const passportRouter = createPassportRouter({
      db,
      evidence,
      rpc: jsonRpcClient(chain.url),
      chainId,
      contracts: { LotRegistry: registry, AttestationRegistry: deployments.contracts.AttestationRegistry?.address ?? null },
      premium: (tx, lotIds) => premiumFigures(tx, keystore.records, lotIds, payoutRegistry ?? null, exchangeRates),
      cache: pages,
      limiter: createRateLimiter({ capacity: config.rateLimits.pagesPerIp * 10, perSecond: config.rateLimits.pagesPerIp }),
      onError: (error) => logger.error({ err: error }, "lot page failed"),
      publicBase,
    });
    // Receipts, the farmer's own page and passkey confirmations (with the payments).
    const farmerPage = payoutRegistry ? createFarmerPageRoutes({ db, records: keystore.records, publicBase }) : null;
    const app = createApp({
      db,
      logger,
      routes: [
        ...createRelayRoutes({ db, writer, keystore, provider, chainId, forwarder, registry, targets, maxAttempts: config.relay.maxAttempts, crash, capacity }),
        ...(attestationRegistry ? createAttestationRoutes({ writer, keystore, maxAttempts: config.relay.maxAttempts, crash }) : []),
        ...createReadRoutes({ db }),
        ...createEpcisRoutes({ db, chainId, publicBase }),
        ...createEvidenceRoutes({ db, store: evidence }),
        ...createOriginRoutes({ db, provider, registry, publicBase, plots, capacity }),
        ...createImportRoutes({ context: imports, requireCooperative: cooperativeGuard(registry, provider, "import farmers, plots and deliveries") }),
        ...(eudrChecks ? createEudrRoutes({ context: eudrChecks }) : []),
        ...createFarmerRoutes({ db, records: keystore.records, standing: memberStandingReader(registry, provider) }),
        ...createPrivateEvidenceRoutes({ db, store: evidence, records: keystore.records }),
        ...(payoutRegistry
          ? createPaymentRoutes({ db, records: keystore.records, standing: memberStandingReader(registry, provider), writer, keystore, maxAttempts: config.relay.maxAttempts, crash, provider, registry, publicBase, exchangeRates })
          : []),
        ...(farmerPage?.routes ?? []),
        ...createDdsRoutes({ db, records: keystore.records, writer, keystore, maxAttempts: config.relay.maxAttempts, crash }),
        ...createFieldRoutes({
          db,
          writer,
          keystore,
          provider,
          plots,
          chainId,
          forwarder,
          registry,
          maxAttempts: config.relay.maxAttempts,
          publicBase,
          requireCooperative: cooperativeGuard(registry, provider, "enrol field agents' phones"),
          onRecordError: (error) => logger.error({ err: error }, "a field record of a batch failed"),
        }),
      ],
      routers: [
        // The local store only: a peer asking here must never make this gateway ask its own peers.
        { path: "/", router: createIpfsGatewayRouter(localEvidence) },
        { path: "/", router: createQrRouter({ db, publicBase }) },
        // The field agents' offline app (a PWA), bundled from src/web/field/app on its first request.
        { path: "/field", router: createFieldRouter() },
        ...(farmerPage ? [{ path: "/", router: farmerPage.router }] : []),
        // The public lot page (after the QR routes: it answers any other path under /l and /01).
        { path: "/", router: passportRouter },
      ],
      readiness: { ...readinessChecks({ provider, db, worker, writer }), indexer: () => indexer.readiness() },
      // Without IPFS the gateway still records and reads lots; only evidence waits (docs/evidence.md).
      degradable: { ipfs: ipfsCheck(evidence) },
      errorMappers: [relayErrorMapper, fieldErrorMapper],
      tokenCache,
      trustedProxies: config.trustedProxies,
      atOnce: [passportRouter.atOnce],
      limits: {
        perToken: createRateLimiter({ capacity: config.rateLimits.perToken * 3, perSecond: config.rateLimits.perToken }),
        perIp: createRateLimiter({ capacity: config.rateLimits.perIp * 3, perSecond: config.rateLimits.perIp }),
      },
    });
    phase("relay worker and indexer");
    const server = await listen(app, config.http.port, config.http.host);
    stack.push({ name: "http", stop: () => closeServer(server) });
    const url = `http://${formatHost(config.http.host)}:${(server.address() as AddressInfo).port}`;
    publicUrl ||= url;

    // The members CLI's way in while this process holds the data dir.
    let control: ControlSocket | null = null;
    try {
      control = await startControlSocket({
        file: config.paths.controlSocket,
        admin: { db, keystore, registry, governor, provider, chainId },
        onTokensRevoked: () => tokenCache.clear(),
        imports,
        eudrChecks,
        publicUrl,
        logger,
      });
      stack.push({ name: "control socket", stop: () => control!.close() });
    } catch (error) {
      log(`control socket: not available (${(error as Error).message}); members commands need the gateway stopped`);
    }

    phase("HTTP and control socket");
    logger.info({ url, chain: redactUrl(chainUrl), relayer: relayer.signer.address }, "gateway started");
    let stopping: Promise<void> | null = null;
    return {
      url,
      publicUrl,
      chain: { url: chainUrl, chainId, deployments, embedded: chain.embedded, withInstantBlocks: chain.withInstantBlocks },
      relayer: relayer.signer.address,
      governor,
      controlSocket: control?.file ?? null,
      rateLimits: config.rateLimits,
      db,
      worker,
      indexer,
      evidence,
      plots,
      capacity,
      pages,
      stop() {
        stopping ??= (async () => {
          logger.info("gateway stopping: draining the relay");
          await unwind();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

const within = <T>(promise: Promise<T>, ms = 2_000) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

/** `/readyz`: chain and SQL reachable; the relay backlog reported. */
function readinessChecks({ provider, db, worker, writer }: { provider: JsonRpcProvider; db: Database; worker: RelayWorker; writer: OutboxWriter }) {
  return {
    chain: async () => ({ ok: true, detail: { block: await within(provider.getBlockNumber()) } }),
    sql: async () => {
      await within(db.query("select 1"));
      return { ok: true };
    },
    relay: async () => ({
      ok: true,
      detail: { backlog: await within(countRelayBacklog(db)), inflightTransactions: worker.inflightTransactions, worker: worker.stats, intake: writer.stats },
    }),
  };
}

/** `/readyz`'s IPFS check: any answer (held or not) means the store is reachable; the empty raw block's CID. */
function ipfsCheck(evidence: EvidenceStore) {
  return async () => {
    try {
      await within(evidence.has("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"));
    } catch (error) {
      return { ok: false, detail: { kind: evidence.kind, error: (error as Error).message, effect: "evidence uploads and reads answer 503 evidence_store_unavailable; lot writes and reads go on" } };
    }
    return { ok: true, detail: { kind: evidence.kind } };
  };
}

/** How long the HTTP server keeps an idle keep-alive connection (longer than the usual 60 s of a proxy in front). */
export const IDLE_CONNECTION_MS = 65_000;

function listen(app: ReturnType<typeof createApp>, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    // An idle keep-alive connection stays open longer than a client or a proxy in front keeps it
    // (Node's 5 s default closed it under a client that had just picked it for its next request:
    // a reset upload); headers must still come within their own, longer, time.
    server.keepAliveTimeout = IDLE_CONNECTION_MS;
    server.headersTimeout = IDLE_CONNECTION_MS + 1_000;
    server.once("listening", () => resolve(server));
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new GatewayStartError(`Port ${port} on ${host} is in use: another gateway runs there (set FIRSTMILE_PORT)`, { cause: error })
          : error,
      ),
    );
  });
}

/** Stops accepting connections, lets requests in progress finish, then closes idle keep-alive connections. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 5_000).unref();
  });
}

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

export type { Keystore };
