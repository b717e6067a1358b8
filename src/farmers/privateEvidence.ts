import { randomBytes } from "node:crypto";
import type { RecordSealer } from "../chain/keystore";
import { open, seal } from "../chain/keystore/cipher";
import type { Queryable } from "../db";
import { parseEvidenceCid, prepareEvidence, type EvidenceStore } from "../evidence";
import { AUDIT_CONSENT } from "./access";
import { FarmerRecordCorruptError } from "./errors";
import { requireOwner } from "./farmerStore";
import type { PrivateEvidenceKind } from "./schemas";

/**
 * Private documents (land titles, ID scans, signed consent forms): checked like any evidence
 * (media type, magic number, photo metadata removed), then sealed with a random data key of their
 * own (AES-256-GCM, the keystore's sealed-box format) before a byte reaches the evidence store. The
 * store holds and serves only the ciphertext, and the CID names the ciphertext; the data key is
 * kept wrapped per member under the key-encryption key (`private_evidence_keys`). Only the owning
 * cooperative, and a certifier the document's farmer named in an audit consent, get the plaintext.
 */
export type PrivateDocument = {
  cid: string;
  memberId: bigint;
  farmerId: string | null;
  kind: PrivateEvidenceKind;
  mediaType: string;
  /** Bytes of the plaintext as stored (after metadata removal). */
  size: number;
  createdAt: Date;
};

const documentAad = (mediaType: string) => Buffer.from(`firstmile private document v1|${mediaType}`, "utf8");
const keyAad = (cid: string, memberId: bigint) => Buffer.from(`firstmile private document key v1|${cid}|${memberId}`, "utf8");

export type PutPrivateEvidenceParameters = {
  memberId: bigint;
  farmerId?: string | undefined;
  kind: PrivateEvidenceKind;
  mediaType: string;
  bytes: Uint8Array;
};

/**
 * Seals and stores a private document.
 *
 * @throws {FarmerNotFoundError} a farmer this cooperative did not register.
 * @throws {EvidenceMediaTypeError | EvidenceTooLargeError | EvidenceMalformedError} as for public evidence.
 */
export async function putPrivateEvidence(
  db: Queryable,
  store: EvidenceStore,
  sealer: RecordSealer,
  parameters: PutPrivateEvidenceParameters,
): Promise<PrivateDocument & { removedMetadata: string[] }> {
  if (parameters.farmerId !== undefined) await requireOwner(db, parameters.farmerId, parameters.memberId);
  const prepared = prepareEvidence(parameters.bytes, parameters.mediaType, store.limits);
  const dataKey = randomBytes(32);
  try {
    const ciphertext = seal(dataKey, Buffer.from(prepared.bytes.buffer, prepared.bytes.byteOffset, prepared.bytes.byteLength), documentAad(prepared.mediaType));
    const { cid } = await store.putSealed(ciphertext);
    const text = cid.toString();
    // One statement: the record and its wrapped key exist together or not at all.
    const { rows } = await db.query<{ created_at: Date }>(
      `with document as (
         insert into private_evidence (cid, member_id, farmer_id, media_type, kind, byte_length) values ($1, $2, $3, $4, $5, $6) returning created_at
       ), wrapped as (
         insert into private_evidence_keys (cid, member_id, wrapped_key) values ($1, $2, $7)
       )
       select created_at from document`,
      [
        text,
        parameters.memberId.toString(),
        parameters.farmerId ?? null,
        prepared.mediaType,
        parameters.kind,
        prepared.bytes.length,
        sealer.seal(dataKey, keyAad(text, parameters.memberId)),
      ],
    );
    return {
      cid: text,
      memberId: parameters.memberId,
      farmerId: parameters.farmerId ?? null,
      kind: parameters.kind,
      mediaType: prepared.mediaType,
      size: prepared.bytes.length,
      createdAt: rows[0]!.created_at,
      removedMetadata: prepared.removedMetadata,
    };
  } finally {
    dataKey.fill(0);
  }
}

type DocumentRow = {
  cid: string;
  member_id: bigint;
  farmer_id: string | null;
  kind: PrivateEvidenceKind;
  media_type: string;
  byte_length: bigint;
  created_at: Date;
};

const documentOf = (row: DocumentRow): PrivateDocument => ({
  cid: row.cid,
  memberId: BigInt(row.member_id),
  farmerId: row.farmer_id,
  kind: row.kind,
  mediaType: row.media_type,
  size: Number(row.byte_length),
  createdAt: row.created_at,
});

/** SQL: `memberId` ($2) may read document `d`: its cooperative, or a certifier its farmer named for audit. */
const MAY_READ = `(d.member_id = $2 or (d.farmer_id is not null and ${AUDIT_CONSENT("d.farmer_id", "$2")}))`;

/** The document's record, if `memberId` may read it; else null (also for a CID that is not a private document). */
export async function privateDocument(db: Queryable, cid: string, memberId: bigint): Promise<PrivateDocument | null> {
  const normalised = normaliseCid(cid);
  if (!normalised) return null;
  const { rows } = await db.query<DocumentRow>(`select d.* from private_evidence d where d.cid = $1 and ${MAY_READ}`, [normalised, memberId.toString()]);
  return rows[0] ? documentOf(rows[0]) : null;
}

/** The private documents `memberId` may read, of one farmer or of all, newest first. */
export async function listPrivateDocuments(db: Queryable, memberId: bigint, farmerId?: string): Promise<PrivateDocument[]> {
  const { rows } = await db.query<DocumentRow>(
    `select d.* from private_evidence d where ($1::text is null or d.farmer_id = $1) and ${MAY_READ} order by d.created_at desc, d.cid limit 1000`,
    [farmerId ?? null, memberId.toString()],
  );
  return rows.map(documentOf);
}

/**
 * The document's plaintext for a member who may read it, else null: the ciphertext read from the
 * store (verified against its CID), the data key unwrapped with the owning cooperative's wrap.
 *
 * @throws {FarmerRecordCorruptError} the wrapped key or the ciphertext does not open.
 */
export async function readPrivateEvidence(
  db: Queryable,
  store: EvidenceStore,
  sealer: RecordSealer,
  cid: string,
  memberId: bigint,
): Promise<{ document: PrivateDocument; bytes: Buffer } | null> {
  const document = await privateDocument(db, cid, memberId);
  if (!document) return null;
  const { rows } = await db.query<{ wrapped_key: Buffer }>("select wrapped_key from private_evidence_keys where cid = $1 and member_id = $2", [
    document.cid,
    document.memberId.toString(),
  ]);
  const dataKey = rows[0] ? sealer.open(rows[0].wrapped_key, keyAad(document.cid, document.memberId)) : null;
  if (!dataKey) throw new FarmerRecordCorruptError(`the data key of private document ${document.cid} does not open under the keystore's key`);
  try {
    const ciphertext = await store.get(document.cid);
    const bytes = open(dataKey, Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength), documentAad(document.mediaType));
    if (!bytes) throw new FarmerRecordCorruptError(`private document ${document.cid} does not open with its data key`);
    return { document, bytes };
  } finally {
    dataKey.fill(0);
  }
}

/** Re-wraps every document key (key rotation); returns how many. */
export async function resealPrivateEvidenceKeys(tx: Queryable, from: RecordSealer, to: RecordSealer): Promise<number> {
  const { rows } = await tx.query<{ cid: string; member_id: bigint; wrapped_key: Buffer }>(
    "select cid, member_id, wrapped_key from private_evidence_keys order by cid, member_id for update",
  );
  for (const row of rows) {
    const aad = keyAad(row.cid, BigInt(row.member_id));
    const dataKey = from.open(row.wrapped_key, aad);
    if (!dataKey) throw new FarmerRecordCorruptError(`the data key of private document ${row.cid} does not open under the current key; nothing was re-encrypted`);
    try {
      await tx.query("update private_evidence_keys set wrapped_key = $3 where cid = $1 and member_id = $2", [row.cid, row.member_id.toString(), to.seal(dataKey, aad)]);
    } finally {
      dataKey.fill(0);
    }
  }
  return rows.length;
}

function normaliseCid(cid: string): string | null {
  try {
    return parseEvidenceCid(cid).toString();
  } catch {
    return null;
  }
}
