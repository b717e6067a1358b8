import fs from "node:fs";
import path from "node:path";
import type { Config, ChainConfig, DatabaseConfig, IpfsConfig, KeystoreConfig } from "./config";
import { dataPaths, type DataPaths } from "./paths";
import { ConfigError, type ConfigIssue, type ConfigSource } from "./errors";
import { redactUrl } from "./redactConfig";
import { Secret } from "./secret";
import { parseMaxYields } from "../origins/capacity";
import { parseGovernorKeySource } from "../chain/governorKey";
import { readExchangeRates } from "../payments/exchangeRates";
import { CONFIG_FILE_ENV, DEFAULTS, SETTINGS, flagOf, parseEvidencePeers, parseTrustedProxies, type DatabaseThread, type IpfsMode, type LogLevel, type Profile, type Setting } from "./settings";

export type LoadConfigParameters = {
  /** The environment (pass `process.env` at the entry point only). */
  env: Readonly<Record<string, string | undefined>>;
  /** Command-line flags, highest precedence: `--port 9090`, `--data-dir=./x`, `--config f.json`. */
  argv?: readonly string[] | undefined;
  /** Directory that relative paths from the environment and the command line resolve against. */
  cwd: string;
  /** Reads a text file; returns null if it does not exist. Defaults to the file system. */
  readFile?: ((file: string) => string | null) | undefined;
};

export type LoadConfigReturnType = Config;
export type LoadConfigErrorType = ConfigError;

/** One value as the operator gave it, before conversion. */
type RawValue = { value: unknown; source: Exclude<ConfigSource, "default">; key: string; file?: string };

const SETTINGS_BY_ENV = new Map(SETTINGS.map((setting) => [setting.env, setting]));
const SETTINGS_BY_FILE_KEY = new Map(SETTINGS.filter((s) => s.fileKey).map((setting) => [setting.fileKey!, setting]));
const FILE_GROUPS = new Set(SETTINGS.flatMap((s) => (s.fileKey?.includes(".") ? [s.fileKey.split(".")[0]!] : [])));
const KNOWN_ENV = [...SETTINGS.map((s) => s.env), CONFIG_FILE_ENV];
const FLAG_TO_ENV = new Map(KNOWN_ENV.map((env) => [flagOf(env), env]));

/**
 * Builds the one configuration object from defaults, a JSON config file, the environment and
 * command-line flags, each overriding the one before. Pure given its parameters: it reads only
 * `env`, `argv` and the config file (through `readFile`).
 *
 * The config file is `FIRSTMILE_CONFIG` (must exist) or `<dataDir>/config.json` (if present).
 * Relative paths resolve against `cwd`, or against the file's folder for paths in the file.
 * Empty environment variables count as unset.
 *
 * @throws {ConfigError} listing every unknown key and bad value, each by the name the operator used.
 */
export function loadConfig(parameters: LoadConfigParameters): LoadConfigReturnType {
  const { env, argv = [], cwd } = parameters;
  const readFile = parameters.readFile ?? readTextFile;
  const issues: ConfigIssue[] = [];

  // 1. Environment and command line, by environment variable name (argv wins).
  const given = new Map<string, RawValue>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("FIRSTMILE_") || value === undefined || value === "") continue;
    if (!KNOWN_ENV.includes(name)) {
      issues.push({ key: name, source: "env", message: `unknown setting${suggest(name, KNOWN_ENV)}` });
      continue;
    }
    given.set(name, { value, source: "env", key: name });
  }
  for (const flag of parseArgv(argv, issues)) given.set(flag.env, { value: flag.value, source: "argv", key: flag.key });

  // 2. The config file.
  const explicitFile = given.get(CONFIG_FILE_ENV);
  const earlyDataDir = given.get("FIRSTMILE_DATA_DIR");
  const defaultDataDir = path.resolve(cwd, typeof earlyDataDir?.value === "string" ? earlyDataDir.value : DEFAULTS.dataDir);
  const configFile = explicitFile ? path.resolve(cwd, String(explicitFile.value)) : path.join(defaultDataDir, "config.json");
  const fromFile = new Map<string, RawValue>();
  let configFileRead: string | null = null;
  const text = safeRead(readFile, configFile, explicitFile, issues);
  if (text !== null) {
    configFileRead = configFile;
    collectFile(text, configFile, fromFile, issues);
    const fileDataDir = fromFile.get("FIRSTMILE_DATA_DIR");
    if (!explicitFile && fileDataDir) {
      issues.push({ key: "dataDir", source: "file", file: configFile, message: "a config file found inside the data dir cannot move the data dir; use FIRSTMILE_DATA_DIR or FIRSTMILE_CONFIG" });
    }
  }

  // 3. One typed value per setting: argv > env > file > default.
  const values = new Map<string, unknown>();
  const sources: Record<string, ConfigSource> = {};
  for (const setting of SETTINGS) {
    const raw = given.get(setting.env) ?? fromFile.get(setting.env);
    if (!raw) {
      sources[setting.env] = "default";
      continue;
    }
    const typed = convert(setting, raw, issues);
    if (typed === undefined) continue;
    const checked = setting.schema.safeParse(typed);
    if (!checked.success) {
      // A URL may carry a password or a token: shown masked, as at start.
      const shown = setting.secret ? "" : `, got ${JSON.stringify(typeof raw.value === "string" ? redactUrl(raw.value) : raw.value)}`;
      issues.push({ key: raw.key, source: raw.source, file: raw.file, message: `${checked.error.issues[0]?.message ?? "invalid value"}${shown}` });
      continue;
    }
    let value: unknown = checked.data;
    if (setting.isPath) value = path.resolve(raw.file ? path.dirname(raw.file) : cwd, String(value));
    values.set(setting.env, value);
    sources[setting.env] = raw.source;
  }
  if (issues.length > 0) throw new ConfigError(issues);

  // 4. Assemble by profile and check the combinations.
  const config = assemble(values, sources, configFileRead, defaultDataDir, issues);
  // The governor's key source: an `env:` key is taken from `env` now, as every other setting is.
  const governorKey = values.get("FIRSTMILE_GOVERNOR_KEY") as string | undefined;
  if (governorKey !== undefined) {
    try {
      // A relative `file:` path resolves as every path does: against the config file's folder when it came from there.
      const base = sources.FIRSTMILE_GOVERNOR_KEY === "file" && config.configFile ? path.dirname(config.configFile) : cwd;
      config.governorKey = parseGovernorKeySource(governorKey, env, base);
    } catch (error) {
      issues.push({ key: "FIRSTMILE_GOVERNOR_KEY", source: sources.FIRSTMILE_GOVERNOR_KEY ?? "env", message: (error as Error).message });
    }
  }
  // The rates file is read and checked now: a malformed one stops the start with what is wrong in it.
  const ratesFile = values.get("FIRSTMILE_EXCHANGE_RATES_FILE") as string | undefined;
  if (ratesFile !== undefined) {
    try {
      config.exchangeRates = readExchangeRates(ratesFile);
    } catch (error) {
      issues.push({ key: "FIRSTMILE_EXCHANGE_RATES_FILE", source: sources.FIRSTMILE_EXCHANGE_RATES_FILE ?? "env", message: (error as Error).message });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}

function assemble(
  values: Map<string, unknown>,
  sources: Record<string, ConfigSource>,
  configFile: string | null,
  defaultDataDir: string,
  issues: ConfigIssue[],
): Config {
  const get = <T>(env: string): T | undefined => values.get(env) as T | undefined;
  const named = (env: string): { key: string; source: ConfigSource } => {
    const source = sources[env] ?? "default";
    const setting = SETTINGS_BY_ENV.get(env);
    return { key: source === "file" ? setting?.fileKey ?? env : source === "argv" ? flagOf(env) : env, source };
  };
  const warnings: string[] = [];

  const profile = get<Profile>("FIRSTMILE_PROFILE") ?? DEFAULTS.profile;
  const production = profile === "production";
  const dataDir = get<string>("FIRSTMILE_DATA_DIR") ?? defaultDataDir;
  const deploymentsFile = get<string>("FIRSTMILE_DEPLOYMENTS_FILE");
  const paths: DataPaths = { ...dataPaths(dataDir, profile), ...(deploymentsFile === undefined ? {} : { deploymentsFile }) };
  const requireSetting = (env: string, why: string) => {
    if (values.has(env)) return true;
    const fileKey = SETTINGS_BY_ENV.get(env)?.fileKey;
    issues.push({ key: env, source: "env", message: `required ${why}${fileKey ? ` (or ${fileKey} in the config file)` : ""}` });
    return false;
  };

  const http = { host: get<string>("FIRSTMILE_HOST") ?? DEFAULTS.host, port: get<number>("FIRSTMILE_PORT") ?? DEFAULTS.port };

  // Chain: production talks to the Besu network; embedded starts anvil unless given a URL.
  let chain: ChainConfig;
  const rpcUrl = get<string>("FIRSTMILE_RPC_URL");
  const chainId = get<number>("FIRSTMILE_CHAIN_ID");
  if (production) requireSetting("FIRSTMILE_RPC_URL", "in the production profile (JSON-RPC URL of the Besu network)");
  if (rpcUrl !== undefined) {
    chain = { rpcUrl, chainId: chainId ?? null, node: null };
    for (const nodeSetting of ["FIRSTMILE_CHAIN_PORT", "FIRSTMILE_CHAIN_BLOCK_TIME_MS"]) {
      if (values.has(nodeSetting)) warnings.push(`${named(nodeSetting).key} has no effect: no node is started when FIRSTMILE_RPC_URL is set`);
    }
  } else {
    const nodePort = get<number>("FIRSTMILE_CHAIN_PORT") ?? DEFAULTS.chainPort;
    const id = chainId ?? DEFAULTS.chainId;
    const blockTimeMs = get<number>("FIRSTMILE_CHAIN_BLOCK_TIME_MS");
    chain = {
      rpcUrl: `http://127.0.0.1:${nodePort}`,
      chainId: id,
      node: {
        host: "127.0.0.1",
        port: nodePort,
        chainId: id,
        stateFile: path.join(paths.chainState, "state.json"),
        ...(blockTimeMs === undefined ? {} : { blockTime: blockTimeMs / 1000 }),
      },
    };
    if (nodePort === http.port) {
      issues.push({ ...named("FIRSTMILE_CHAIN_PORT"), message: `the anvil node and the HTTP server would both use port ${nodePort}` });
    }
  }

  // Database: PostgreSQL when a URL is given (required in production), else PGlite in the data dir.
  const databaseUrl = get<string>("FIRSTMILE_DATABASE_URL");
  if (production) requireSetting("FIRSTMILE_DATABASE_URL", "in the production profile (PostgreSQL URL)");
  const database: DatabaseConfig =
    databaseUrl !== undefined
      ? { engine: "postgres", url: databaseUrl }
      : { engine: "pglite", dir: paths.pgdata, thread: get<DatabaseThread>("FIRSTMILE_DATABASE_THREAD") ?? "worker" };

  // IPFS: Kubo in production or when a Kubo URL is given, else the embedded blockstore.
  let ipfs: IpfsConfig;
  const kuboUrl = get<string>("FIRSTMILE_KUBO_URL");
  const ipfsMode = get<IpfsMode>("FIRSTMILE_IPFS") ?? (production || kuboUrl !== undefined ? "kubo" : "embedded");
  if (production && ipfsMode !== "kubo") {
    issues.push({ ...named("FIRSTMILE_IPFS"), message: "the production profile needs kubo (a Kubo node over its RPC API)" });
  }
  if (ipfsMode === "kubo") {
    if (requireSetting("FIRSTMILE_KUBO_URL", "when FIRSTMILE_IPFS is kubo (Kubo RPC API URL, e.g. http://127.0.0.1:5001)")) {
      ipfs = { mode: "kubo", kuboUrl: kuboUrl! };
    } else {
      ipfs = { mode: "kubo", kuboUrl: "" };
    }
  } else {
    if (kuboUrl !== undefined) {
      issues.push({ ...named("FIRSTMILE_KUBO_URL"), message: "is set but FIRSTMILE_IPFS is embedded: set FIRSTMILE_IPFS=kubo or remove the URL" });
    }
    ipfs = { mode: "embedded", blockstoreDir: paths.evidence };
  }

  // Keystore: exactly one of passphrase and key file; never a default secret in production.
  let keystore: KeystoreConfig;
  const passphrase = get<string>("FIRSTMILE_KEYSTORE_PASSPHRASE");
  const keyFile = get<string>("FIRSTMILE_KEYSTORE_KEY_FILE");
  if (passphrase !== undefined && keyFile !== undefined) {
    issues.push({ ...named("FIRSTMILE_KEYSTORE_KEY_FILE"), message: "set either FIRSTMILE_KEYSTORE_PASSPHRASE or FIRSTMILE_KEYSTORE_KEY_FILE, not both" });
  }
  if (passphrase !== undefined) {
    keystore = { source: "passphrase", passphrase: new Secret(passphrase) };
  } else if (keyFile !== undefined) {
    keystore = { source: "keyFile", keyFile, create: false };
    // On production the key-encryption key comes from outside the data dir (a secret mount, a
    // vault agent's file): in it, it would sit beside the encrypted keys and a copy of the data
    // dir (a backup, a volume snapshot) would carry both.
    const relative = path.relative(dataDir, keyFile);
    if (production && !relative.startsWith("..") && !path.isAbsolute(relative)) {
      issues.push({
        ...named("FIRSTMILE_KEYSTORE_KEY_FILE"),
        message: `on the production profile the keystore key file must be outside the data dir ${dataDir} (beside the keys it protects it protects nothing): use a secret file path such as /run/secrets/..., or FIRSTMILE_KEYSTORE_PASSPHRASE`,
      });
    }
  } else {
    if (production) {
      issues.push({
        key: "FIRSTMILE_KEYSTORE_PASSPHRASE",
        source: "env",
        message: "the production profile needs FIRSTMILE_KEYSTORE_PASSPHRASE or FIRSTMILE_KEYSTORE_KEY_FILE (there is no default secret)",
      });
    }
    keystore = { source: "keyFile", keyFile: paths.keystoreKey, create: !production };
  }

  if (production && get<number>("FIRSTMILE_DEMO") === 1) warnings.push(`${named("FIRSTMILE_DEMO").key} has no effect: the demo story is seeded only on the embedded profile`);
  if (values.has("FIRSTMILE_TEST_CRASH_AT")) warnings.push("FIRSTMILE_TEST_CRASH_AT is set: the gateway will kill itself on purpose (crash tests only)");

  return {
    profile,
    dataDir,
    paths,
    configFile,
    http,
    publicUrl: get<string>("FIRSTMILE_PUBLIC_URL")?.replace(/\/+$/, "") ?? null,
    demo: { seed: (get<number>("FIRSTMILE_DEMO") ?? 1) === 1 && !production },
    chain,
    governorKey: null,
    database,
    ipfs,
    keystore,
    relay: {
      batchSize: get<number>("FIRSTMILE_RELAY_BATCH_SIZE") ?? DEFAULTS.relayBatchSize,
      pollIntervalMs: get<number>("FIRSTMILE_RELAY_POLL_INTERVAL_MS") ?? DEFAULTS.relayPollIntervalMs,
      maxAttempts: get<number>("FIRSTMILE_RELAY_MAX_ATTEMPTS") ?? DEFAULTS.relayMaxAttempts,
      staleLockMs: get<number>("FIRSTMILE_RELAY_STALE_LOCK_MS") ?? DEFAULTS.relayStaleLockMs,
    },
    indexer: {
      pageBlocks: get<number>("FIRSTMILE_INDEXER_PAGE_BLOCKS") ?? DEFAULTS.indexerPageBlocks,
      batchLogs: get<number>("FIRSTMILE_INDEXER_BATCH_LOGS") ?? DEFAULTS.indexerBatchLogs,
      pollIntervalMs: get<number>("FIRSTMILE_INDEXER_POLL_INTERVAL_MS") ?? DEFAULTS.indexerPollIntervalMs,
    },
    evidence: { maxBytes: get<number>("FIRSTMILE_EVIDENCE_MAX_BYTES") ?? DEFAULTS.evidenceMaxBytes, peers: parseEvidencePeers(get<string>("FIRSTMILE_EVIDENCE_PEERS") ?? "") },
    plots: {
      overlapThreshold: (get<number>("FIRSTMILE_PLOT_OVERLAP_BPS") ?? DEFAULTS.plotOverlapBps) / 10_000,
      maxYields: parseMaxYields(get<string>("FIRSTMILE_PLOT_MAX_YIELDS") ?? ""),
    },
    exchangeRates: null,
    imports: { maxBytes: get<number>("FIRSTMILE_IMPORT_MAX_BYTES") ?? DEFAULTS.importMaxBytes },
    log: { level: get<LogLevel>("FIRSTMILE_LOG_LEVEL") ?? DEFAULTS.logLevel },
    rateLimits: {
      perToken: get<number>("FIRSTMILE_RATE_LIMIT_PER_TOKEN") ?? DEFAULTS.rateLimitPerToken,
      perIp: get<number>("FIRSTMILE_RATE_LIMIT_PER_IP") ?? DEFAULTS.rateLimitPerIp,
      pagesPerIp: get<number>("FIRSTMILE_RATE_LIMIT_PAGES_PER_IP") ?? DEFAULTS.rateLimitPagesPerIp,
    },
    trustedProxies: parseTrustedProxies(get<string>("FIRSTMILE_TRUSTED_PROXIES") ?? ""),
    testCrashAt: get<string>("FIRSTMILE_TEST_CRASH_AT") ?? null,
    sources,
    warnings,
  };
}

/** `--data-dir x`, `--data-dir=x`; anything else is an issue. */
function parseArgv(argv: readonly string[], issues: ConfigIssue[]): { env: string; key: string; value: string }[] {
  const flags: { env: string; key: string; value: string }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^(--[a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!match) {
      issues.push({ key: arg, source: "argv", message: "unexpected argument (flags look like --port 8080 or --port=8080)" });
      continue;
    }
    const key = match[1]!;
    const env = FLAG_TO_ENV.get(key);
    if (!env) {
      issues.push({ key, source: "argv", message: `unknown flag${suggest(key, [...FLAG_TO_ENV.keys()])}` });
      if (match[2] === undefined && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("--")) i++;
      continue;
    }
    if (SETTINGS_BY_ENV.get(env)?.secret) {
      issues.push({ key, source: "argv", message: `a secret on the command line is visible to every user of the machine; use ${env}` });
      if (match[2] === undefined) i++;
      continue;
    }
    let value = match[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) {
        issues.push({ key, source: "argv", message: "expects a value" });
        continue;
      }
      i++;
    }
    flags.push({ env, key, value });
  }
  return flags;
}

/** Walks the JSON file: every leaf must be a known key; unknown keys are issues. */
function collectFile(text: string, file: string, out: Map<string, RawValue>, issues: ConfigIssue[]): void {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    issues.push({ key: path.basename(file), source: "file", file, message: `not valid JSON: ${(error as Error).message}` });
    return;
  }
  if (!isPlainObject(document)) {
    issues.push({ key: path.basename(file), source: "file", file, message: "expected a JSON object at the top level" });
    return;
  }
  const knownFileKeys = [...SETTINGS_BY_FILE_KEY.keys(), ...FILE_GROUPS];
  const visit = (node: Record<string, unknown>, prefix: string) => {
    for (const [name, value] of Object.entries(node)) {
      const key = prefix ? `${prefix}.${name}` : name;
      const setting = SETTINGS_BY_FILE_KEY.get(key);
      if (setting) {
        out.set(setting.env, { value, source: "file", key, file });
      } else if (!prefix && FILE_GROUPS.has(name)) {
        if (isPlainObject(value)) visit(value, key);
        else issues.push({ key, source: "file", file, message: "expected an object" });
      } else if (key === "keystore.passphrase") {
        issues.push({ key, source: "file", file, message: "a passphrase does not belong in a config file; use FIRSTMILE_KEYSTORE_PASSPHRASE or keystore.keyFile" });
      } else {
        issues.push({ key, source: "file", file, message: `unknown key${suggest(key, knownFileKeys)}` });
      }
    }
  };
  visit(document, "");
}

/** Environment and flag values are strings; file values are already JSON-typed. */
function convert(setting: Setting, raw: RawValue, issues: ConfigIssue[]): unknown {
  if (raw.source === "file" || setting.fromString === "string") return raw.value;
  const text = String(raw.value).trim();
  if (!/^-?\d+$/.test(text)) {
    issues.push({ key: raw.key, source: raw.source, message: `expected an integer, got ${JSON.stringify(raw.value)}` });
    return undefined;
  }
  return Number(text);
}

function safeRead(
  readFile: (file: string) => string | null,
  file: string,
  explicit: RawValue | undefined,
  issues: ConfigIssue[],
): string | null {
  try {
    const text = readFile(file);
    if (text === null && explicit) {
      issues.push({ key: explicit.key, source: explicit.source, message: `config file ${file} does not exist` });
    }
    return text;
  } catch (error) {
    issues.push({ key: explicit?.key ?? file, source: explicit?.source ?? "file", message: `cannot read config file ${file}: ${(error as Error).message}` });
    return null;
  }
}

function readTextFile(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** ` (did you mean X?)` for a near miss, else empty. */
function suggest(name: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? ` (did you mean ${best}?)` : "";
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}
