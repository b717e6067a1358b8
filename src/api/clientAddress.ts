import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import proxyaddr from "proxy-addr";
import type { Request } from "express";

/**
 * The client's address for a per-IP limit. With no proxy trusted (`trust proxy` false, the
 * default) it is the connection's own, read from the socket: no forwarded header is looked at,
 * so none can name another address, and none is parsed on the way. Behind configured proxies
 * (`FIRSTMILE_TRUSTED_PROXIES`) it is Express's `req.ip`, which believes `X-Forwarded-For` from
 * those proxies only.
 */
export function clientAddress(req: Request): string {
  const trusted = req.app?.get("trust proxy") as unknown;
  return trusted === false || trusted === undefined ? socketAddress(req) : (req.ip ?? "unknown");
}

/** The connection's own address: the client's when no proxy is trusted. */
export function socketAddress(req: IncomingMessage): string {
  return req.socket?.remoteAddress ?? "unknown";
}

/**
 * The client's address and the request's scheme as Express reads them (`req.ip`, `req.protocol`)
 * behind `trustedProxies`, read from Node's own request: for answers made before Express.
 */
export function requestOrigin(trustedProxies: readonly string[]) {
  const trust = trustedProxies.length > 0 ? proxyaddr.compile([...trustedProxies]) : null;
  return {
    address: (req: IncomingMessage): string => (trust ? proxyaddr(req, trust) : socketAddress(req)),
    protocol: (req: IncomingMessage): string => {
      const own = (req.socket as TLSSocket).encrypted ? "https" : "http";
      if (!trust || !trust(req.socket.remoteAddress ?? "", 0)) return own;
      const forwarded = req.headers["x-forwarded-proto"];
      const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
      return first || own;
    },
  };
}
