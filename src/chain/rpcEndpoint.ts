import { redactUrl } from "../config/redactConfig";

/**
 * A node's JSON-RPC URL as the gateway sends to it. Credentials in the URL
 * (`https://user:password@node:8545`, as a Besu node behind an authenticating proxy is often
 * given) move into a Basic `Authorization` header: `fetch` refuses a URL that carries them, and
 * its error would repeat the whole URL. `shown` is the URL without them, for messages and logs.
 */
export type RpcEndpoint = {
  /** The URL to send to, without user or password. */
  url: string;
  /** Headers every request carries (`authorization` when the URL had credentials). */
  headers: Readonly<Record<string, string>>;
  /** The URL as messages may name it: no credentials, token-like parameters masked (`redactUrl`). */
  shown: string;
};

export function rpcEndpoint(url: string): RpcEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Left to the caller's request to refuse.
    return { url, headers: {}, shown: redactUrl(url) };
  }
  if (!parsed.username && !parsed.password) return { url, headers: {}, shown: redactUrl(url) };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = "";
  parsed.password = "";
  const bare = parsed.toString();
  return { url: bare, headers: { authorization: `Basic ${Buffer.from(credentials, "utf8").toString("base64")}` }, shown: redactUrl(bare) };
}

/** Why a request to a node failed, in a word where there is one (`ECONNREFUSED`), from fetch's error and its cause. */
export function fetchFailureOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
}
