import type { Request } from "express";
import { ApiError } from "./problem";

/**
 * A small, bounded `multipart/form-data` reader (RFC 7578) for the one route that takes a file
 * upload: the whole body is read into memory up to `maxBytes` (refused with 413 as soon as it is
 * larger, before it is read when Content-Length says so), then split at its boundary. Enough for
 * a spreadsheet and a few text fields; no temporary files, no dependency.
 */
export type FormPart = { name: string; filename: string | null; contentType: string | null; data: Buffer };

export type ReadMultipartOptions = {
  /** Most bytes of the whole body (the file and the fields around it). */
  maxBytes: number;
  /** Most parts (default 10). */
  maxParts?: number;
};

export async function readMultipart(req: Request, options: ReadMultipartOptions): Promise<Map<string, FormPart>> {
  const type = req.get("content-type") ?? "";
  const match = /^multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(type);
  if (!match) throw new ApiError(415, "unsupported_media_type", "send the file as multipart/form-data (a form with a file field named \"file\")");
  if (req.get("content-encoding") && req.get("content-encoding")!.toLowerCase() !== "identity") {
    throw new ApiError(415, "unsupported_encoding", "send the form uncompressed (no Content-Encoding): spreadsheets are compressed already");
  }
  const boundary = Buffer.from(`--${match[1] ?? match[2]}`);
  const declared = Number(req.get("content-length"));
  // Far too large: answered at once (the connection closes). Else the excess is read and dropped,
  // so a client that sends the whole body before it reads the answer still gets the 413.
  if (Number.isFinite(declared) && declared > options.maxBytes * 4) {
    req.res?.setHeader("connection", "close");
    throw tooLarge(declared, options.maxBytes);
  }
  const body = await readBounded(req, options.maxBytes);
  return splitParts(body, boundary, options.maxParts ?? 10);
}

function tooLarge(bytes: number, max: number): ApiError {
  return new ApiError(413, "payload_too_large", `the upload is ${mib(bytes)} MiB; an import takes at most ${mib(max)} MiB: split the file`, { bytes, maxBytes: max });
}

const mib = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;

function readBounded(req: Request, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.once("error", reject);
    req.once("end", () => (size > maxBytes ? reject(tooLarge(size, maxBytes)) : resolve(Buffer.concat(chunks))));
  });
}

function splitParts(body: Buffer, boundary: Buffer, maxParts: number): Map<string, FormPart> {
  const parts = new Map<string, FormPart>();
  const malformed = (why: string) => new ApiError(400, "invalid_form", `the multipart form cannot be read: ${why}`);
  let at = body.indexOf(boundary);
  if (at === -1) throw malformed("no boundary in the body");
  for (;;) {
    at += boundary.length;
    if (body.subarray(at, at + 2).toString("latin1") === "--") break;
    if (body.subarray(at, at + 2).toString("latin1") !== "\r\n") throw malformed("a boundary not followed by a line break");
    at += 2;
    const headerEnd = body.indexOf("\r\n\r\n", at);
    if (headerEnd === -1) throw malformed("a part without the blank line after its headers");
    const headers = body.subarray(at, headerEnd).toString("utf8").split("\r\n");
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), boundary]), headerEnd + 4);
    if (next === -1) throw malformed("the last part has no closing boundary (was the upload cut off?)");
    const data = body.subarray(headerEnd + 4, next);
    let name: string | null = null;
    let filename: string | null = null;
    let contentType: string | null = null;
    for (const header of headers) {
      const [key, ...rest] = header.split(":");
      const value = rest.join(":").trim();
      if (key!.toLowerCase() === "content-disposition") {
        name = /\bname="([^"]*)"/i.exec(value)?.[1] ?? null;
        filename = /\bfilename="([^"]*)"/i.exec(value)?.[1] ?? null;
      } else if (key!.toLowerCase() === "content-type") contentType = value;
    }
    if (name === null) throw malformed("a part without a name");
    if (parts.has(name)) throw malformed(`the field ${JSON.stringify(name)} is sent twice`);
    if (parts.size >= maxParts) throw malformed(`more than ${maxParts} fields`);
    parts.set(name, { name, filename, contentType, data });
    at = next + 2;
  }
  return parts;
}
