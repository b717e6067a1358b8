import type { RecordSealer } from "../chain/keystore";
import { SQLSTATE, sqlState, type Queryable } from "../db";
import { ACTIVE_CONSENT } from "./access";
import { ConsentWithdrawnError, FarmerInputError, FarmerNotFoundError, FarmerRecordCorruptError } from "./errors";
import { openField, resealField, sealField } from "./fieldCipher";
import { CONSENT_ID_PATTERN, newRecordId } from "./ids";
import { requireOwner } from "./farmerStore";
import type { ConsentCreate, ConsentMethod, ConsentScope, ConsentWithdraw } from "./schemas";

/**
 * A farmer's consents. A consent is recorded once and never changed; its withdrawal is a row of its
 * own (who recorded it, when, why). Whether a scope holds now is one question, `hasConsent`,
 * which every use of a scope asks (the export's name column, an auditor's access, payments).
 */
export type Consent = {
  id: string;
  farmerId: string;
  scope: ConsentScope;
  method: ConsentMethod;
  certifierMemberId: bigint | null;
  evidenceCid: string | null;
  witness: string | null;
  recordedBy: string;
  /** The id of the API token the consent was recorded with (`members_auth`), when known. */
  recordedByToken: number | null;
  recordedAt: Date;
  withdrawal: { recordedBy: string; recordedByToken: number | null; reason: string; withdrawnAt: Date } | null;
};

/** Whether the farmer's consent for `scope` holds now: recorded and not withdrawn. */
export async function hasConsent(db: Queryable, farmerId: string, scope: ConsentScope): Promise<boolean> {
  const { rows } = await db.query(`select 1 from farmer_consents c where c.farmer_id = $1 and c.scope = $2 and ${ACTIVE_CONSENT("c")} limit 1`, [farmerId, scope]);
  return rows.length > 0;
}

/** Of `farmerIds`, those whose consent for `scope` holds now (one query for a whole export). */
export async function farmersWithConsent(db: Queryable, farmerIds: readonly string[], scope: ConsentScope): Promise<Set<string>> {
  if (farmerIds.length === 0) return new Set();
  const { rows } = await db.query<{ farmer_id: string }>(
    `select distinct c.farmer_id from farmer_consents c where c.farmer_id = any($1::text[]) and c.scope = $2 and ${ACTIVE_CONSENT("c")}`,
    [farmerIds, scope],
  );
  return new Set(rows.map((row) => row.farmer_id));
}

type ConsentRow = {
  id: string;
  farmer_id: string;
  scope: ConsentScope;
  method: ConsentMethod;
  certifier_member_id: bigint | null;
  evidence_cid: string | null;
  witness_enc: Buffer | null;
  recorded_by: string;
  recorded_by_token: bigint | null;
  recorded_at: Date;
  withdrawn_by: string | null;
  withdrawn_by_token: bigint | null;
  withdrawal_reason: string | null;
  withdrawn_at: Date | null;
};

const SELECT = `select c.id, c.farmer_id, c.scope, c.method, c.certifier_member_id, c.evidence_cid, c.witness_enc, c.recorded_by, c.recorded_by_token, c.recorded_at,
  w.recorded_by as withdrawn_by, w.recorded_by_token as withdrawn_by_token, w.reason as withdrawal_reason, w.withdrawn_at
  from farmer_consents c left join farmer_consent_withdrawals w on w.consent_id = c.id`;

function consentOf(sealer: RecordSealer, row: ConsentRow): Consent {
  return {
    id: row.id,
    farmerId: row.farmer_id,
    scope: row.scope,
    method: row.method,
    certifierMemberId: row.certifier_member_id === null ? null : BigInt(row.certifier_member_id),
    evidenceCid: row.evidence_cid,
    witness: openField(sealer, row.id, "witness", row.witness_enc) as string | null,
    recordedBy: row.recorded_by,
    recordedByToken: row.recorded_by_token === null ? null : Number(row.recorded_by_token),
    recordedAt: row.recorded_at,
    withdrawal: row.withdrawn_at
      ? { recordedBy: row.withdrawn_by!, recordedByToken: row.withdrawn_by_token === null ? null : Number(row.withdrawn_by_token), reason: row.withdrawal_reason ?? "", withdrawnAt: row.withdrawn_at }
      : null,
  };
}

/**
 * Records a consent the farmer gave to its cooperative. A signed form must be a private document of
 * the same cooperative (for this farmer or for none). The certifier of an audit consent is checked
 * by the caller (it needs the chain's roles).
 *
 * @throws {FarmerNotFoundError} no farmer this member may read.
 * @throws {FarmerReadOnlyError} an auditing certifier.
 * @throws {FarmerInputError} the form is not this cooperative's private document.
 */
export async function recordConsent(
  db: Queryable,
  sealer: RecordSealer,
  farmerId: string,
  memberId: bigint,
  consent: ConsentCreate,
  recordedByToken: number | null = null,
): Promise<Consent> {
  await requireOwner(db, farmerId, memberId);
  if (consent.evidenceCid !== undefined) {
    const { rows } = await db.query<{ farmer_id: string | null }>("select farmer_id from private_evidence where cid = $1 and member_id = $2", [
      consent.evidenceCid,
      memberId.toString(),
    ]);
    if (rows.length === 0 || (rows[0]!.farmer_id !== null && rows[0]!.farmer_id !== farmerId)) {
      throw new FarmerInputError(`evidenceCid ${consent.evidenceCid} is not a private document of this cooperative for this farmer: upload the signed form with POST /v1/private-evidence first`);
    }
  }
  const id = newRecordId("c");
  await db.query(
    `insert into farmer_consents (id, farmer_id, member_id, scope, method, certifier_member_id, evidence_cid, witness_enc, recorded_by, recorded_by_token)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      id,
      farmerId,
      memberId.toString(),
      consent.scope,
      consent.method,
      consent.certifierMemberId?.toString() ?? null,
      consent.evidenceCid ?? null,
      sealField(sealer, id, "witness", consent.witness),
      consent.recordedBy,
      recordedByToken,
    ],
  );
  return (await readConsent(db, sealer, farmerId, id))!;
}

/** The farmer's consents, oldest first, with their withdrawals. */
export async function listConsents(db: Queryable, sealer: RecordSealer, farmerId: string): Promise<Consent[]> {
  const { rows } = await db.query<ConsentRow>(`${SELECT} where c.farmer_id = $1 order by c.recorded_at, c.id`, [farmerId]);
  return rows.map((row) => consentOf(sealer, row));
}

async function readConsent(db: Queryable, sealer: RecordSealer, farmerId: string, consentId: string): Promise<Consent | null> {
  if (!CONSENT_ID_PATTERN.test(consentId)) return null;
  const { rows } = await db.query<ConsentRow>(`${SELECT} where c.farmer_id = $1 and c.id = $2`, [farmerId, consentId]);
  return rows[0] ? consentOf(sealer, rows[0]) : null;
}

/**
 * Withdraws a consent: appends the withdrawal (the consent row stays as it was recorded). From
 * then on `hasConsent` answers false for its scope, unless another consent for it holds.
 *
 * @throws {FarmerNotFoundError} no such farmer or consent for this member.
 * @throws {FarmerReadOnlyError} an auditing certifier.
 * @throws {ConsentWithdrawnError} withdrawn before.
 */
export async function withdrawConsent(
  db: Queryable,
  sealer: RecordSealer,
  farmerId: string,
  consentId: string,
  memberId: bigint,
  withdrawal: ConsentWithdraw,
  recordedByToken: number | null = null,
): Promise<Consent> {
  await requireOwner(db, farmerId, memberId);
  const consent = await readConsent(db, sealer, farmerId, consentId);
  if (!consent) throw new FarmerNotFoundError(`farmer ${farmerId} has no consent ${consentId}`);
  if (consent.withdrawal) throw new ConsentWithdrawnError(`consent ${consentId} was withdrawn at ${consent.withdrawal.withdrawnAt.toISOString()}`);
  try {
    await db.query("insert into farmer_consent_withdrawals (consent_id, recorded_by, recorded_by_token, reason) values ($1, $2, $3, $4)", [
      consentId,
      withdrawal.recordedBy,
      recordedByToken,
      withdrawal.reason ?? "",
    ]);
  } catch (error) {
    if (sqlState(error) === SQLSTATE.uniqueViolation) throw new ConsentWithdrawnError(`consent ${consentId} was withdrawn meanwhile`);
    throw error;
  }
  return (await readConsent(db, sealer, farmerId, consentId))!;
}

/** Re-seals every consent's witness (key rotation); returns how many. */
export async function resealConsents(tx: Queryable, from: RecordSealer, to: RecordSealer): Promise<number> {
  const { rows } = await tx.query<{ id: string; witness_enc: Buffer }>("select id, witness_enc from farmer_consents where witness_enc is not null order by id for update");
  for (const row of rows) {
    const resealed = resealField(from, to, row.id, "witness", row.witness_enc);
    if (!resealed) throw new FarmerRecordCorruptError(`witness of consent ${row.id}: nothing to re-seal`);
    await tx.query("update farmer_consents set witness_enc = $2 where id = $1", [row.id, resealed]);
  }
  return rows.length;
}
