import { z } from "zod";
import { isIP } from "node:net";
import { parseMaxYields } from "../origins/capacity";

/**
 * Every setting the gateway reads, once: its environment variable, its key in the config file,
 * and the rule its value must follow. The command-line flag is derived from the variable
 * (`FIRSTMILE_DATA_DIR` -> `--data-dir`). Nothing else in the code reads the environment.
 */
export type Setting = {
  /** Environment variable, e.g. `FIRSTMILE_PORT`. */
  env: string;
  /** Dotted key in the JSON config file, e.g. `http.port`; null: not accepted in a file. */
  fileKey: string | null;
  /** Rule for the typed value (after converting the environment string). */
  schema: z.ZodType;
  /** How an environment or command-line string becomes a typed value. */
  fromString: "string" | "integer";
  /** A secret: printed as `[redacted]`, accepted only from the environment. */
  secret?: boolean;
  /** Resolve relative to the working directory (env, argv) or the config file's folder. */
  isPath?: boolean;
  description: string;
};

const MIB = 1024 * 1024;

const port = z.number().int("expected an integer").min(1, "expected a port 1-65535").max(65535, "expected a port 1-65535");
const positiveInt = (max: number) =>
  z.number().int("expected an integer").min(1, "expected at least 1").max(max, `expected at most ${max}`);
const nonEmpty = z.string().trim().min(1, "must not be empty");

/** A URL with one of `protocols`; the message names the expected ones. */
const urlWith = (...protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ""));
      } catch {
        return false;
      }
    },
    { message: `expected a ${protocols.join(" or ")} URL` },
  );

export const PROFILES = ["embedded", "production"] as const;
export type Profile = (typeof PROFILES)[number];
export const IPFS_MODES = ["embedded", "kubo"] as const;
export const DATABASE_THREADS = ["worker", "main"] as const;
export type IpfsMode = (typeof IPFS_MODES)[number];
export type DatabaseThread = (typeof DATABASE_THREADS)[number];
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { message: `expected one of ${values.join(", ")}` });

export const DEFAULTS = {
  profile: "embedded" as Profile,
  dataDir: "./.firstmile",
  host: "127.0.0.1",
  port: 8080,
  chainPort: 8545,
  chainId: 31337,
  relayBatchSize: 50,
  relayPollIntervalMs: 1000,
  relayMaxAttempts: 10,
  relayStaleLockMs: 5 * 60 * 1000,
  indexerPageBlocks: 1000,
  indexerBatchLogs: 5000,
  indexerPollIntervalMs: 1000,
  evidenceMaxBytes: 10 * MIB,
  logLevel: "info" as LogLevel,
  rateLimitPerToken: 200,
  rateLimitPerIp: 50,
  rateLimitPagesPerIp: 3,
  plotOverlapBps: 500,
  importMaxBytes: 20 * MIB,
};

/** `FIRSTMILE_CONFIG`: the config file to read; not itself a key of the file. */
export const CONFIG_FILE_ENV = "FIRSTMILE_CONFIG";

export const SETTINGS: readonly Setting[] = [
  { env: "FIRSTMILE_PROFILE", fileKey: "profile", schema: oneOf(PROFILES), fromString: "string", description: "embedded (anvil, embedded IPFS, PGlite under the data dir) or production (Besu, Kubo, PostgreSQL)" },
  { env: "FIRSTMILE_DATA_DIR", fileKey: "dataDir", schema: nonEmpty, fromString: "string", isPath: true, description: `data directory (default ${DEFAULTS.dataDir})` },
  { env: "FIRSTMILE_HOST", fileKey: "http.host", schema: nonEmpty, fromString: "string", description: `HTTP listen address (default ${DEFAULTS.host})` },
  { env: "FIRSTMILE_PORT", fileKey: "http.port", schema: port, fromString: "integer", description: `HTTP port (default ${DEFAULTS.port})` },
  { env: "FIRSTMILE_RPC_URL", fileKey: "chain.rpcUrl", schema: urlWith("http", "https", "ws", "wss"), fromString: "string", description: "JSON-RPC URL of the chain (production: the Besu network); embedded: unset starts anvil" },
  { env: "FIRSTMILE_CHAIN_PORT", fileKey: "chain.nodePort", schema: port, fromString: "integer", description: `port of the anvil node the embedded profile starts (default ${DEFAULTS.chainPort})` },
  { env: "FIRSTMILE_CHAIN_BLOCK_TIME_MS", fileKey: "chain.nodeBlockTimeMs", schema: z.number().int("expected an integer").min(50, "expected at least 50").max(60_000, "expected at most 60000"), fromString: "integer", description: "milliseconds per block of the anvil node the embedded profile starts (default 1000; the test suites run 250)" },
  { env: "FIRSTMILE_CHAIN_ID", fileKey: "chain.chainId", schema: positiveInt(Number.MAX_SAFE_INTEGER), fromString: "integer", description: `chain id (embedded default ${DEFAULTS.chainId}; production: checked against the node when set)` },
  { env: "FIRSTMILE_DATABASE_URL", fileKey: "database.url", schema: urlWith("postgres", "postgresql"), fromString: "string", description: "PostgreSQL URL (production); embedded: unset uses PGlite under the data dir" },
  { env: "FIRSTMILE_DATABASE_THREAD", fileKey: "database.thread", schema: oneOf(DATABASE_THREADS), fromString: "string", description: "embedded PGlite on a worker thread of its own (default) or on the gateway's main thread" },
  { env: "FIRSTMILE_IPFS", fileKey: "ipfs.mode", schema: oneOf(IPFS_MODES), fromString: "string", description: "embedded blockstore or kubo (default: embedded, production: kubo)" },
  { env: "FIRSTMILE_KUBO_URL", fileKey: "ipfs.kuboUrl", schema: urlWith("http", "https"), fromString: "string", description: "Kubo RPC API URL, e.g. http://127.0.0.1:5001" },
  { env: "FIRSTMILE_KEYSTORE_PASSPHRASE", fileKey: null, schema: z.string().min(12, "expected at least 12 characters"), fromString: "string", secret: true, description: "passphrase the custodial keystore's key is derived from (scrypt)" },
  { env: "FIRSTMILE_KEYSTORE_KEY_FILE", fileKey: "keystore.keyFile", schema: nonEmpty, fromString: "string", isPath: true, description: "file holding the keystore's 32-byte key (64 hex characters); embedded default <dataDir>/keystore.key, created on first start" },
  { env: "FIRSTMILE_GOVERNOR_KEY", fileKey: "governor.key", schema: z.string().regex(/^(env|file|rpc):.+$/s, "expected env:NAME, file:/path or rpc:<url>"), fromString: "string", description: "where a governor's key comes from, for members, governance and deploy commands on a network whose governors hold their own keys: env:NAME (the key in that variable), file:/path (mode 0600), or rpc:<url> (an external signer's unlocked account); never one of the public development keys outside chain 31337" },
  { env: "FIRSTMILE_RELAY_BATCH_SIZE", fileKey: "relay.batchSize", schema: positiveInt(1000), fromString: "integer", description: `requests per relayed batch (default ${DEFAULTS.relayBatchSize})` },
  { env: "FIRSTMILE_RELAY_POLL_INTERVAL_MS", fileKey: "relay.pollIntervalMs", schema: positiveInt(3_600_000), fromString: "integer", description: `how often the relay looks for work when not woken (default ${DEFAULTS.relayPollIntervalMs})` },
  { env: "FIRSTMILE_RELAY_MAX_ATTEMPTS", fileKey: "relay.maxAttempts", schema: positiveInt(100), fromString: "integer", description: `attempts before a relay request fails for good (default ${DEFAULTS.relayMaxAttempts})` },
  { env: "FIRSTMILE_RELAY_STALE_LOCK_MS", fileKey: "relay.staleLockMs", schema: positiveInt(86_400_000), fromString: "integer", description: `after this a worker's lock on a request expires (default ${DEFAULTS.relayStaleLockMs})` },
  { env: "FIRSTMILE_INDEXER_PAGE_BLOCKS", fileKey: "indexer.pageBlocks", schema: positiveInt(1_000_000), fromString: "integer", description: `blocks per eth_getLogs page the indexer reads (default ${DEFAULTS.indexerPageBlocks})` },
  { env: "FIRSTMILE_INDEXER_BATCH_LOGS", fileKey: "indexer.batchLogs", schema: positiveInt(100_000), fromString: "integer", description: `most logs the indexer writes in one transaction (default ${DEFAULTS.indexerBatchLogs})` },
  { env: "FIRSTMILE_INDEXER_POLL_INTERVAL_MS", fileKey: "indexer.pollIntervalMs", schema: positiveInt(3_600_000), fromString: "integer", description: `how often the indexer looks for new blocks once caught up (default ${DEFAULTS.indexerPollIntervalMs})` },
  { env: "FIRSTMILE_EVIDENCE_MAX_BYTES", fileKey: "evidence.maxBytes", schema: positiveInt(1024 * MIB), fromString: "integer", description: `largest evidence upload in bytes (default ${DEFAULTS.evidenceMaxBytes})` },
  {
    env: "FIRSTMILE_EVIDENCE_PEERS",
    fileKey: "evidence.peers",
    schema: z.string().superRefine((value, context) => {
      const problem = evidencePeersProblem(value);
      if (problem) context.addIssue({ code: "custom", message: problem });
    }),
    fromString: "string",
    description: "base URLs (comma-separated) of other organisations' gateways whose trustless IPFS endpoint (/ipfs/{cid}) is asked for evidence this gateway does not hold; what they send is verified against the CID and kept here (default none)",
  },
  { env: "FIRSTMILE_LOG_LEVEL", fileKey: "log.level", schema: oneOf(LOG_LEVELS), fromString: "string", description: `log level (default ${DEFAULTS.logLevel})` },
  { env: "FIRSTMILE_DEPLOYMENTS_FILE", fileKey: "chain.deploymentsFile", schema: nonEmpty, fromString: "string", isPath: true, description: "the contracts' deployment record (addresses by name); default <dataDir>/deployments/<profile>.json" },
  { env: "FIRSTMILE_RATE_LIMIT_PER_TOKEN", fileKey: "http.rateLimitPerToken", schema: positiveInt(1_000_000), fromString: "integer", description: `requests per second one API token may make, in bursts of up to 3 s worth (default ${DEFAULTS.rateLimitPerToken})` },
  { env: "FIRSTMILE_RATE_LIMIT_PER_IP", fileKey: "http.rateLimitPerIp", schema: positiveInt(1_000_000), fromString: "integer", description: `requests per second from one IP address, in bursts of up to 3 s worth (default ${DEFAULTS.rateLimitPerIp})` },
  { env: "FIRSTMILE_RATE_LIMIT_PAGES_PER_IP", fileKey: "http.rateLimitPagesPerIp", schema: positiveInt(1_000_000), fromString: "integer", description: `public lot pages per second from one IP address, in bursts of up to 10 s worth (default ${DEFAULTS.rateLimitPagesPerIp})` },
  {
    env: "FIRSTMILE_TRUSTED_PROXIES",
    fileKey: "http.trustedProxies",
    schema: z.string().superRefine((value, context) => {
      const problem = trustedProxiesProblem(value);
      if (problem) context.addIssue({ code: "custom", message: problem });
    }),
    fromString: "string",
    description: "addresses or CIDR ranges (comma-separated) of the reverse proxies in front of the gateway, whose X-Forwarded-For and X-Forwarded-Proto are believed; default none: the client address is the connection's, whatever a client sends",
  },
  { env: "FIRSTMILE_PUBLIC_URL", fileKey: "http.publicUrl", schema: urlWith("http", "https").refine((value) => !/[?#]/.test(value), "expected a base URL without query or fragment"), fromString: "string", description: "base URL printed in QR codes and labels, as consumers reach the gateway (default: the gateway's own http://host:port)" },
  { env: "FIRSTMILE_PLOT_OVERLAP_BPS", fileKey: "plots.overlapBps", schema: z.number().int("expected an integer").min(0, "expected 0-10000").max(10_000, "expected 0-10000"), fromString: "integer", description: `share of the smaller plot a new plot may have in common with another, basis points (default ${DEFAULTS.plotOverlapBps}: 5 %)` },
  {
    env: "FIRSTMILE_PLOT_MAX_YIELDS",
    fileKey: "plots.maxYields",
    schema: z.string().superRefine((value, context) => {
      try {
        parseMaxYields(value);
      } catch (error) {
        context.addIssue({ code: "custom", message: (error as Error).message });
      }
    }),
    fromString: "string",
    description: "a plot's yearly capacity per form, kg per ha per year, as form=kg pairs (e.g. cocoa-dry-beans=2500,rubber-cup-lump=6000); forms not named keep the defaults in docs/plots.md",
  },
  {
    env: "FIRSTMILE_EXCHANGE_RATES_FILE",
    fileKey: "payments.exchangeRatesFile",
    schema: nonEmpty,
    fromString: "string",
    isPath: true,
    description:
      'JSON exchange rates to one display currency, with their source and day ({"displayCurrency":"USD","source":"...","date":"YYYY-MM-DD","rates":{"IDR":"0.0000612"}}): the public premium figures and the living-income report show their totals also converted (default none; the demo uses example rates, marked as such)',
  },
  { env: "FIRSTMILE_IMPORT_MAX_BYTES", fileKey: "imports.maxBytes", schema: positiveInt(256 * MIB), fromString: "integer", description: `largest spreadsheet an import accepts, bytes (default ${DEFAULTS.importMaxBytes})` },
  { env: "FIRSTMILE_DEMO", fileKey: "demo.seed", schema: z.number().int("expected 0 or 1").min(0, "expected 0 or 1").max(1, "expected 0 or 1"), fromString: "integer", description: "1 (default): firstmile start seeds the demo story once on the embedded profile; 0: never" },
  { env: "FIRSTMILE_TEST_CRASH_AT", fileKey: null, schema: z.string().regex(/^(after-ack|after-sign|after-submit|after-broadcast|before-mined):[1-9][0-9]{0,5}$/, "expected <point>:<n>, point one of after-ack, after-sign, after-submit, after-broadcast, before-mined"), fromString: "string", description: "TEST ONLY (the crash test): the gateway kills itself with SIGKILL the n-th time it reaches a relay step, <point>:<n>; never set in operation" },
];

/** `FIRSTMILE_DATA_DIR` -> `--data-dir`. */
export function flagOf(env: string): string {
  return `--${env.replace(/^FIRSTMILE_/, "").toLowerCase().replace(/_/g, "-")}`;
}

/** `FIRSTMILE_EVIDENCE_PEERS` as a list of base URLs without a trailing slash (empty: no peers). */
export function parseEvidencePeers(value: string): string[] {
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => entry.replace(/\/+$/, ""));
}

function evidencePeersProblem(value: string): string | null {
  for (const entry of parseEvidencePeers(value)) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      return `${entry}: expected an http or https URL`;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return `${entry}: expected an http or https URL`;
    if (url.search || url.hash) return `${entry}: expected a base URL without query or fragment`;
  }
  return null;
}

/** `FIRSTMILE_TRUSTED_PROXIES` as a list (empty: trust no forwarded header). */
export function parseTrustedProxies(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** Why a trusted-proxies list is refused (null: every item is an IP address or a CIDR range). */
function trustedProxiesProblem(value: string): string | null {
  for (const item of parseTrustedProxies(value)) {
    const [address, bits, extra] = item.split("/");
    const family = isIP(address ?? "");
    const maxBits = family === 6 ? 128 : 32;
    const bitsOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !bitsOk || extra !== undefined) return `expected IP addresses or CIDR ranges separated by commas (e.g. 10.0.0.5,192.168.1.0/24), got ${JSON.stringify(item.slice(0, 60))}`;
  }
  return null;
}
