import type { Config } from "./config";
import { REDACTED } from "./secret";
import { describeGovernorKeySource } from "../chain/governorKey";

/** JSON-safe copy of a config, as printed at start. */
export type RedactedConfig = Record<string, unknown>;

/**
 * A plain copy of `config` that is safe to print or return from an API: secrets become
 * `[redacted]`, and so do passwords and tokens inside URLs (`postgres://app:[redacted]@db/x`).
 */
export function redactConfig(config: Config): RedactedConfig {
  return redactValue(config) as RedactedConfig;
}

function redactValue(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === "string") return redactUrl(value);
  if (typeof value !== "object") return value;
  // Secret and anything else that knows how to print itself.
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return (value as { toJSON(): unknown }).toJSON();
  if (Array.isArray(value)) return value.map(redactValue);
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactValue(inner)]));
}

const SECRET_QUERY_KEYS = /^(password|passwd|pass|pwd|token|secret|key|api[-_]?key|access[-_]?token|auth)$/i;

/** Masks the password and token-like query parameters of a URL; other strings pass unchanged. */
export function redactUrl(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not a URL this parser takes, yet it may still carry `user:password@`.
    return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*:)[^@]*@/i, `$1${REDACTED}@`);
  }
  let changed = false;
  if (url.password) {
    url.password = "REDACTED_PASSWORD";
    changed = true;
  }
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_QUERY_KEYS.test(key)) {
      url.searchParams.set(key, "REDACTED_VALUE");
      changed = true;
    }
  }
  if (!changed) return text;
  return url.toString().replace(/REDACTED_PASSWORD|REDACTED_VALUE/g, REDACTED);
}

/** The start banner: one line per part, secrets redacted, followed by any warnings. */
export function describeConfig(config: Config): string {
  const mib = (bytes: number) => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`);
  const chain = config.chain.node
    ? `anvil started on ${config.chain.node.host}:${config.chain.node.port}, chain id ${config.chain.node.chainId}${config.chain.node.blockTime === undefined ? "" : `, a block every ${config.chain.node.blockTime * 1000} ms`}, state ${config.chain.node.stateFile}`
    : `${redactUrl(config.chain.rpcUrl)}${config.chain.chainId === null ? "" : `, expecting chain id ${config.chain.chainId}`}`;
  const database = config.database.engine === "pglite" ? `PGlite at ${config.database.dir} (${config.database.thread === "worker" ? "own worker thread" : "main thread"})` : `PostgreSQL at ${redactUrl(config.database.url)}`;
  const ipfs = config.ipfs.mode === "embedded" ? `embedded blockstore at ${config.ipfs.blockstoreDir}` : `Kubo RPC at ${redactUrl(config.ipfs.kuboUrl)}`;
  const keystore =
    config.keystore.source === "passphrase"
      ? `key derived from FIRSTMILE_KEYSTORE_PASSPHRASE (${REDACTED})`
      : `key file ${config.keystore.keyFile}${config.keystore.create ? " (created on first start if missing)" : ""}`;
  const lines = [
    `firstmile gateway, profile ${config.profile}`,
    `  data dir  ${config.dataDir}`,
    `  config    ${config.configFile ?? "no config file"}`,
    `  http      http://${config.http.host}:${config.http.port}, ${config.rateLimits.perToken} requests/s per token, ${config.rateLimits.perIp} per IP`,
    `  public    ${config.publicUrl ?? "the gateway's own URL"} (QR codes and labels)${config.demo.seed ? "; demo story seeded once on start" : ""}`,
    `  contracts ${config.paths.deploymentsFile}`,
    `  chain     ${chain}`,
    `  database  ${database}`,
    `  ipfs      ${ipfs}`,
    `  keystore  ${keystore}`,
    ...(config.governorKey ? [`  governor  ${describeGovernorKeySource(config.governorKey)}`] : []),
    `  relay     batches of ${config.relay.batchSize}, poll every ${config.relay.pollIntervalMs} ms, ${config.relay.maxAttempts} attempts, locks expire after ${config.relay.staleLockMs} ms`,
    `  indexer   pages of ${config.indexer.pageBlocks} blocks, batches of ${config.indexer.batchLogs} logs, poll every ${config.indexer.pollIntervalMs} ms`,
    `  evidence  up to ${mib(config.evidence.maxBytes)}`,
    `  log       ${config.log.level}`,
  ];
  const overridden = Object.entries(config.sources).filter(([, source]) => source !== "default");
  if (overridden.length > 0) lines.push(`  set by    ${overridden.map(([env, source]) => `${env} (${source})`).join(", ")}`);
  for (const warning of config.warnings) lines.push(`  warning   ${warning}`);
  return lines.join("\n");
}
