import type { ExchangeRates } from "../payments/exchangeRates";
import type { ConfigSource } from "./errors";
import type { DataPaths } from "./paths";
import type { Secret } from "./secret";
import type { GovernorKeySource } from "../chain/governorKey";
import type { DatabaseThread, IpfsMode, LogLevel, Profile } from "./settings";

/**
 * The gateway's whole configuration, validated, with every path absolute. Built once at start by
 * `loadConfig` and passed down as an argument; no module reads the environment itself.
 */
export type Config = {
  profile: Profile;
  /** Absolute data directory: every embedded store lives under it, so two data dirs never share state. */
  dataDir: string;
  /** Every file and directory the gateway keeps, computed once from the data dir (and FIRSTMILE_DEPLOYMENTS_FILE). */
  paths: DataPaths;
  /** The config file that was read, or null. */
  configFile: string | null;
  http: { host: string; port: number };
  /** Base URL (no trailing slash) that QR codes and labels point at; null: the gateway's own `http://host:port`. */
  publicUrl: string | null;
  /** Whether `firstmile start` seeds the demo story (once) on the embedded profile. */
  demo: { seed: boolean };
  chain: ChainConfig;
  /** Where a governor's key comes from (FIRSTMILE_GOVERNOR_KEY); null: only a development node's unlocked account governs. */
  governorKey: GovernorKeySource | null;
  database: DatabaseConfig;
  ipfs: IpfsConfig;
  keystore: KeystoreConfig;
  relay: RelayConfig;
  indexer: IndexerConfig;
  /** Upload limit; peers: other gateways' base URLs asked (trustless gateway) for evidence not held here. */
  evidence: { maxBytes: number; peers: readonly string[] };
  /** The plot rules: overlap threshold (share of the smaller plot, 0-1) and max yields per form id, kg/ha/year. */
  plots: { overlapThreshold: number; maxYields: Readonly<Record<number, number>> };
  /** Exchange rates to one display currency (FIRSTMILE_EXCHANGE_RATES_FILE, checked at load); null: none configured. */
  exchangeRates: ExchangeRates | null;
  /** Largest spreadsheet an import accepts, bytes. */
  imports: { maxBytes: number };
  log: { level: LogLevel };
  /** Requests per second per API token and per client IP (bursts of 3 s worth); public lot pages per client IP (bursts of 10 s worth). */
  rateLimits: { perToken: number; perIp: number; pagesPerIp: number };
  /** Reverse proxies whose forwarded headers are believed (addresses or CIDR ranges); empty: none. */
  trustedProxies: readonly string[];
  /** TEST ONLY: `<point>:<n>` at which the gateway SIGKILLs itself (FIRSTMILE_TEST_CRASH_AT); null in operation. */
  testCrashAt: string | null;
  /** Where each setting came from, by environment variable name. */
  sources: Readonly<Record<string, ConfigSource>>;
  /** Harmless oddities worth printing at start (a setting that has no effect, a loose file mode). */
  warnings: readonly string[];
};

export type ChainConfig = {
  rpcUrl: string;
  /** Expected chain id; null: take whatever the node reports (production without FIRSTMILE_CHAIN_ID). */
  chainId: number | null;
  /** Set when the gateway starts its own anvil node (embedded profile without FIRSTMILE_RPC_URL). */
  node: {
    host: string;
    port: number;
    chainId: number;
    stateFile: string;
    /** anvil's seconds per block (default 1; FIRSTMILE_CHAIN_BLOCK_TIME_MS). */
    blockTime?: number | undefined;
    /**
     * anvil's seconds between writes of its whole state (default 1). No setting sets it: a program
     * that embeds the gateway and always stops it cleanly may (the test harness writes less often).
     */
    stateInterval?: number | undefined;
  } | null;
};

export type DatabaseConfig =
  /** thread: PGlite on a worker thread of its own (the default) or on the caller's. */
  | { engine: "pglite"; dir: string; thread: DatabaseThread }
  | { engine: "postgres"; url: string };

export type IpfsConfig =
  | { mode: Extract<IpfsMode, "embedded">; blockstoreDir: string }
  | { mode: Extract<IpfsMode, "kubo">; kuboUrl: string };

export type KeystoreConfig =
  | { source: "passphrase"; passphrase: Secret<string> }
  /** `create`: generate the file (mode 0600) if it does not exist; only for the embedded default. */
  | { source: "keyFile"; keyFile: string; create: boolean };

export type RelayConfig = {
  batchSize: number;
  pollIntervalMs: number;
  maxAttempts: number;
  staleLockMs: number;
};

export type IndexerConfig = {
  /** Blocks per `eth_getLogs` page. */
  pageBlocks: number;
  /** Most logs written in one transaction. */
  batchLogs: number;
  /** Wait between looks at the head once caught up. */
  pollIntervalMs: number;
};
