import type { IncomingMessage } from "node:http";
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
