import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";
import { ApiError } from "./problem";

/** The JSON escape of U+0000 where it is one (not the text `\\u0000`: an escaped backslash, then "u0000"). */
const NUL_ESCAPE = /(?<!\\)(?:\\\\)*\\u0000/;

/**
 * No text the gateway keeps may hold U+0000: PostgreSQL refuses it in `text` and `jsonb` alike, so
 * a body carrying one would fail deep in a write. Refused here, once for every route.
 */
const nulInBody = () =>
  new ApiError(400, "invalid_text", "a string in the request body holds a NUL character (U+0000), which no text field accepts", { character: "U+0000" });

/** Whether a parsed body holds U+0000 in any string (a key or a value). */
function holdsNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\0");
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value !== null && typeof value === "object") return Object.entries(value).some(([key, item]) => key.includes("\0") || holdsNul(item));
  return false;
}

/** `application/json`, with no charset or UTF-8: what every client of the gateway sends. */
const PLAIN_JSON = /^application\/json\s*(;\s*charset\s*=\s*("?)utf-8\2\s*)?$/i;

/**
 * `express.json({ limit })` with a short path for the common body: plain `application/json` in
 * UTF-8, uncompressed, with a `Content-Length` within the limit, read and parsed here without
 * body-parser's per-request machinery (a third of the gateway's HTTP time per write request).
 * Anything else (compressed, chunked, another charset, too large, not JSON) goes to
 * `express.json`, so every answer is the same either way; as there, an empty body is `{}` and only
 * an object or an array is accepted (strict). Either way a body with U+0000 in a string is refused.
 */
export function jsonBody(limit: number): RequestHandler {
  const fallback = express.json({ limit });
  return (req: Request, res: Response, next: NextFunction) => {
    const type = req.headers["content-type"];
    const length = Number(req.headers["content-length"]);
    const encoding = req.headers["content-encoding"];
    if (
      type === undefined ||
      !PLAIN_JSON.test(type) ||
      (encoding !== undefined && encoding.toLowerCase() !== "identity") ||
      req.headers["transfer-encoding"] !== undefined ||
      !Number.isSafeInteger(length) ||
      length > limit
    ) {
      return fallback(req, res, (error?: unknown) => next(error ?? (holdsNul(req.body) ? nulInBody() : undefined)));
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("error", next);
    req.once("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (text.length === 0) {
        req.body = {};
        return next();
      }
      const start = /^[\x20\x09\x0a\x0d]*(.)/.exec(text)?.[1];
      try {
        if (start !== "{" && start !== "[") throw new SyntaxError("JSON body: an object or an array");
        req.body = JSON.parse(text);
      } catch (error) {
        return next(Object.assign(error as SyntaxError, { status: 400, statusCode: 400, type: "entity.parse.failed", body: text }));
      }
      next(NUL_ESCAPE.test(text) ? nulInBody() : undefined);
    });
  };
}
