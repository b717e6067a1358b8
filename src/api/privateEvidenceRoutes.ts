import { z } from "zod";
import type { RecordSealer } from "../chain/keystore";
import type { Queryable } from "../db";
import { collectLimited, type EvidenceStore } from "../evidence";
import { PRIVATE_EVIDENCE_KINDS, listPrivateDocuments, putPrivateEvidence, readPrivateEvidence, type PrivateDocument } from "../farmers";
import { bodyOf, evidenceAnswer, uploadMediaType } from "./evidenceRoutes";
import { farmerAnswer } from "./farmerRoutes";
import { notFound } from "./problem";
import { defineRoute, type AnyRoute } from "./routes";

export type CreatePrivateEvidenceRoutesParameters = { db: Queryable; store: EvidenceStore; records: RecordSealer };

const farmerId = z.string().regex(/^f_[0-9a-z]{16,40}$/, "a farmer id: f_ and 16 to 40 lower-case letters or digits");

function documentJson(document: PrivateDocument) {
  return {
    cid: document.cid,
    memberId: document.memberId.toString(),
    farmerId: document.farmerId,
    kind: document.kind,
    mediaType: document.mediaType,
    size: document.size,
    createdAt: document.createdAt.toISOString(),
  };
}

/**
 * Private documents over HTTP: `POST /v1/private-evidence` takes a file as `/v1/evidence` does (the
 * body, its media type as `?type=` or Content-Type, the same checks) and stores only its
 * ciphertext; `GET /v1/private-evidence/:cid` answers the plaintext to the cooperative that stored
 * it and to a certifier the document's farmer named in an audit consent, and 404 to anyone else.
 * `GET /v1/evidence/:cid` and `/ipfs/:cid` serve the same CID's ciphertext, as they serve any block.
 */
export function createPrivateEvidenceRoutes({ db, store, records }: CreatePrivateEvidenceRoutesParameters): AnyRoute[] {
  return [
    defineRoute({
      method: "post",
      path: "/v1/private-evidence",
      summary: "store a private document (land title, ID scan, signed consent form) sealed: the store keeps only ciphertext; answers its CID",
      auth: "member",
      query: z.strictObject({
        kind: z.enum(PRIVATE_EVIDENCE_KINDS),
        farmerId: farmerId.optional().describe("the farmer the document belongs to (one of your cooperative's)"),
        type: z.string().min(1).max(100).optional().describe("the file's media type, if not the Content-Type"),
      }),
      responses: {
        201: { description: "stored: cid (of the ciphertext), kind, media type, size, metadata removed" },
        404: { description: "no farmer of yours with that id" },
        413: { description: "larger than the configured limit" },
        415: { description: "a media type evidence may not have, or bytes that are not of it" },
      },
      handler: ({ query, memberId }, req) =>
        farmerAnswer(() =>
          evidenceAnswer(async () => {
            const mediaType = uploadMediaType(req, query.type);
            const bytes = await collectLimited(bodyOf(req), store.limits.maxBytes);
            const stored = await putPrivateEvidence(db, store, records, { memberId: memberId!, farmerId: query.farmerId, kind: query.kind, mediaType, bytes });
            return { status: 201, body: { ...documentJson(stored), removedMetadata: stored.removedMetadata } };
          }),
        ),
    }),

    defineRoute({
      method: "get",
      path: "/v1/private-evidence",
      summary: "the private documents you may read (your cooperative's, or those of farmers who named you for audit), newest first",
      auth: "member",
      query: z.strictObject({ farmerId: farmerId.optional() }),
      responses: { 200: { description: "{documents}: their records, never their contents" } },
      handler: async ({ query, memberId }) => ({ status: 200, body: { documents: (await listPrivateDocuments(db, memberId!, query.farmerId)).map(documentJson) } }),
    }),

    defineRoute({
      method: "get",
      path: "/v1/private-evidence/:cid",
      summary: "a private document's plaintext, for its cooperative or a certifier its farmer named for audit",
      auth: "member",
      params: z.object({ cid: z.string().min(1).max(200) }),
      responses: { 200: { description: "the file, decrypted" }, 404: { description: "no private document you may read" } },
      handler: ({ params, memberId }, _req, res) =>
        farmerAnswer(() =>
          evidenceAnswer(async () => {
            const found = await readPrivateEvidence(db, store, records, params.cid, memberId!);
            if (!found) throw notFound(`no private document ${params.cid}`);
            res
              .status(200)
              .set({
                "content-type": found.document.mediaType,
                "content-length": String(found.bytes.length),
                // Personal data: never cached on the way, saved rather than shown by a browser.
                "cache-control": "private, no-store",
                "content-disposition": "attachment",
                "x-content-type-options": "nosniff",
              })
              .end(found.bytes);
          }),
        ),
    }),
  ];
}
