import type { Request } from "express";
import { z } from "zod";
import { ApiError, badRequest, defineRoute, notFound, type AnyRoute } from "./index";
import type { Queryable } from "../db";
import {
  cidToDigest,
  codecOf,
  EvidenceCidMismatchError,
  EvidenceInvalidCidError,
  EvidenceMalformedError,
  EvidenceMediaTypeError,
  EvidenceNotAFileError,
  EvidenceNotFoundError,
  EvidenceStoreUnavailableError,
  EvidenceTooLargeError,
  parseEvidenceCid,
  type EvidenceStore,
} from "../evidence";

export type CreateEvidenceRoutesParameters = { db: Queryable; store: EvidenceStore };

/**
 * Evidence over HTTP for members: `POST /v1/evidence` stores the request body, its media type
 * given as `?type=` or as the Content-Type (JSON documents: send them as
 * `application/octet-stream` with `?type=application/json`, so no JSON parser touches the bytes;
 * the store's intake checks size, type and magic number and strips photo metadata) and answers the CID with the `bytes32` the contracts take; `GET /v1/evidence/:cid`
 * answers the file's bytes, verified against the CID by the store, with the media type recorded
 * at upload (`application/octet-stream` for files that came another way, e.g. a CAR import).
 */
export function createEvidenceRoutes({ db, store }: CreateEvidenceRoutesParameters): AnyRoute[] {
  return [
    defineRoute({
      method: "post",
      path: "/v1/evidence",
      summary: "store a file as evidence (the body; ?type= or Content-Type is its media type) and get its CID",
      auth: "member",
      query: z.object({ type: z.string().min(1).max(100).optional() }),
      responses: {
        201: { description: "stored: cid, digest (bytes32 for the contracts), codec, size, media type, metadata removed" },
        413: { description: "larger than the configured limit" },
        415: { description: "a media type evidence may not have, or bytes that are not of it" },
      },
      handler: async ({ memberId, query }, req) =>
        evidenceAnswer(async () => {
          const stored = await store.putStream(bodyOf(req), uploadMediaType(req, query.type));
          const cid = stored.cid.toString();
          await db.query(
            `insert into evidence_uploads (cid, media_type, size, member_id) values ($1, $2, $3, $4)
             on conflict (cid) do nothing`,
            [cid, stored.mediaType, stored.size, String(memberId)],
          );
          return {
            status: 201,
            body: { cid, digest: cidToDigest(stored.cid), codec: codecOf(stored.cid), size: stored.size, mediaType: stored.mediaType, removedMetadata: stored.removedMetadata },
          };
        }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/evidence/:cid",
      summary: "an evidence file's bytes, verified against its CID, with its media type",
      auth: "member",
      params: z.object({ cid: z.string().min(1).max(200) }),
      responses: { 200: { description: "the file" }, 400: { description: "not an evidence CID" }, 404: { description: "not stored" } },
      handler: async ({ params }, _req, res) => {
        await evidenceAnswer(async () => {
          const cid = parseEvidenceCid(params.cid).toString();
          const bytes = await store.get(cid); // whole and verified before a byte is sent
          const { rows } = await db.query<{ media_type: string }>("select media_type from evidence_uploads where cid = $1", [cid]);
          res
            .status(200)
            .set({
              "Content-Type": rows[0]?.media_type ?? "application/octet-stream",
              "Content-Length": String(bytes.byteLength),
              "Cache-Control": "private, max-age=31536000, immutable",
              "X-Content-Type-Options": "nosniff",
              ETag: `"${cid}"`,
            })
            .end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
          return { status: 200, body: null };
        });
      },
    }),
  ];
}

/**
 * The media type of an uploaded file: `?type=`, else the Content-Type.
 *
 * @throws {ApiError} 415 for none, `application/octet-stream`, or a body the JSON parser already read.
 */
export function uploadMediaType(req: Request, declared: string | undefined): string {
  if (req.body !== undefined) {
    // The JSON body parser already read it: the bytes are gone, re-serialising would change the CID.
    throw new ApiError(415, "unsupported_media_type", "send JSON evidence as application/octet-stream with ?type=application/json");
  }
  const mediaType = (declared ?? req.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!mediaType || mediaType === "application/octet-stream") {
    throw new ApiError(415, "unsupported_media_type", "name the file's media type: Content-Type or ?type= (image/jpeg, application/pdf, ...)");
  }
  return mediaType;
}

/** The raw request body (express.json leaves non-JSON bodies unread). */
export async function* bodyOf(req: Request): AsyncIterable<Uint8Array> {
  for await (const chunk of req) yield chunk as Uint8Array;
}

/** Maps the evidence module's errors to the one error shape. */
export async function evidenceAnswer<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof EvidenceInvalidCidError) throw badRequest(error.shortMessage);
    if (error instanceof EvidenceNotFoundError) throw notFound(error.shortMessage);
    if (error instanceof EvidenceNotAFileError) throw badRequest(error.shortMessage);
    if (error instanceof EvidenceTooLargeError) throw new ApiError(413, "payload_too_large", error.shortMessage);
    if (error instanceof EvidenceMediaTypeError) throw new ApiError(415, "unsupported_media_type", error.shortMessage);
    if (error instanceof EvidenceMalformedError) throw new ApiError(422, "malformed_evidence", error.shortMessage);
    // The gateway's own store is down, not a bad request: retry later (lot writes are unaffected).
    if (error instanceof EvidenceStoreUnavailableError) throw new ApiError(503, "evidence_store_unavailable", "the evidence store (IPFS) is unavailable; lot writes go on, retry the upload later", { retryAfterSeconds: 30 });
    if (error instanceof EvidenceCidMismatchError) throw new ApiError(500, "evidence_corrupt", "the stored blocks do not match the CID; nothing was sent");
    throw error;
  }
}
