import { z } from "zod";
import { BaseError } from "../errors/base";

/**
 * Every error answer has one shape: `{ error: { code, message, details } }` (details null when there
 * are none, never missing), with the HTTP status carried by the class. Handlers throw these; `errorToProblem` maps everything else in one place.
 */
export type Problem = { status: number; body: { error: { code: string; message: string; details: unknown } } };

export class ApiError extends BaseError {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problemDetails?: unknown,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: unknown) => new ApiError(400, "bad_request", message, details);
export const unauthorized = (message = "a valid API token is required (Authorization: Bearer <token>)") =>
  new ApiError(401, "unauthorized", message);
export const forbidden = (message: string) => new ApiError(403, "forbidden", message);
export const notFound = (message: string, details?: unknown) => new ApiError(404, "not_found", message, details);
export const conflict = (message: string, details?: unknown) => new ApiError(409, "conflict", message, details);
export const tooManyRequests = (retryAfterSeconds: number) =>
  new ApiError(429, "rate_limited", `too many requests; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });

/** Error mappers contributed by modules (e.g. decoded contract errors); the first that answers wins. */
export type ErrorMapper = (error: unknown) => Problem | undefined;

/** Maps any thrown value to a problem. Unknown errors become a 500 that reveals nothing. */
export function errorToProblem(error: unknown, mappers: readonly ErrorMapper[] = []): Problem {
  if (error instanceof ApiError) return problem(error.status, error.code, error.shortMessage, error.problemDetails);
  // The router decodes path parameters (/v1/lots/%zz, /l/%zz): a URIError is the client's path.
  if (error instanceof URIError) return problem(400, "invalid_path", "the request path is not valid percent-encoding (RFC 3986)");
  if (error instanceof z.ZodError) {
    return problem(400, "invalid_request", "the request does not match the schema", error.issues.map(describeIssue));
  }
  const bodyParserType = (error as { type?: unknown })?.type;
  if (bodyParserType === "entity.too.large") {
    const limit = (error as { limit?: number }).limit;
    return problem(413, "payload_too_large", `the request body is larger than ${limit} bytes`);
  }
  if (bodyParserType === "entity.parse.failed") return problem(400, "invalid_json", "the request body is not valid JSON");
  if (bodyParserType === "encoding.unsupported" || bodyParserType === "charset.unsupported") {
    return problem(415, "unsupported_encoding", "the request body's encoding is not supported");
  }
  // Bytes that do not inflate as their Content-Encoding says (zlib's Z_DATA_ERROR, a truncated stream).
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && (code.startsWith("Z_") || code.startsWith("ERR__ZLIB") || code === "ERR_BUFFER_TOO_LARGE")) {
    return problem(400, "invalid_encoding", "the request body does not decode as its Content-Encoding says");
  }
  // The body could not be read as its headers describe it (a Content-Length that does not match, an aborted upload).
  if (typeof bodyParserType === "string" && /^(request|stream)\./.test(bodyParserType)) {
    return problem(400, "bad_request", "the request body could not be read as its headers describe it", { reason: bodyParserType });
  }
  for (const mapper of mappers) {
    const mapped = mapper(error);
    if (mapped) return mapped;
  }
  return problem(500, "internal", "internal error; the gateway logged it with this request's id");
}

export function problem(status: number, code: string, message: string, details: unknown = null): Problem {
  return { status, body: { error: { code, message, details: details === undefined ? null : details } } };
}

function describeIssue(issue: z.core.$ZodIssue) {
  return { path: issue.path.map(String).join("."), message: issue.message };
}
