import type { Queryable, Row } from "../../db";
import { DagTooLargeError } from "./errors";
import { decodeCursor, encodeCursor, INT } from "./cursor";
import { QUERY_LIMITS, pageSize } from "./limits";
import type { Page } from "./lots";

const MODELS = { 1: "identityPreserved", 2: "segregated", 3: "massBalance" } as const;
const SUBJECTS = { 1: "lot", 2: "plot", 3: "member" } as const;
const MASS_BALANCE = 3;

export type SchemeRef = { id: number; name: string | null; version: string | null; model: (typeof MODELS)[keyof typeof MODELS] | null };

/** valid, expired or revoked at `asOf`, and why, in words a buyer or auditor can read. */
export type AttestationStatus = "valid" | "expired" | "revoked";

export type AttestationView = {
  uid: string;
  scheme: SchemeRef;
  subject: { kind: "lot" | "plot" | "member" | null; value: string };
  attester: { account: string; memberId: string };
  attestedAt: string | null;
  expiresAt: string | null;
  evidence: string;
  dataHash: string;
  txHash: string;
  position: string;
  status: AttestationStatus;
  why: string;
  revocation: { by: string; reason: number; at: string | null } | null;
};

/** A lot's claim for a scheme now, computed as the contract's `carriesClaim` does. */
export type LotClaimView = {
  scheme: SchemeRef;
  carries: boolean;
  status: AttestationStatus | "spent" | "none";
  /** direct: its own attestation; carried: through a split, merge or transform; marked: mass balance. */
  source: "direct" | "carried" | "marked" | "origin" | null;
  validUntil: string | null;
  why: string;
};

export type LotAttestationItem = AttestationView & {
  /** direct: about this lot; inherited: about a lot it was made from. */
  relation: "direct" | "inherited";
  lotId: string;
  /** Operations between that lot and this one (0: direct). */
  depth: number;
};

export type LotAttestationsView = Page<LotAttestationItem> & { lotId: string; asOf: string; claims: LotClaimView[] };

const iso = (seconds: number | null) => (seconds === null ? null : new Date(seconds * 1000).toISOString());

function schemeRef(row: Row): SchemeRef {
  return {
    id: Number(row.scheme),
    name: (row.scheme_name as string | null) ?? null,
    version: (row.scheme_version as string | null) ?? null,
    model: row.scheme_model === null || row.scheme_model === undefined ? null : MODELS[Number(row.scheme_model) as 1 | 2 | 3] ?? null,
  };
}

/** Status of one attestation at `now` (Unix seconds), as the contract's `isValid` decides it. */
export function attestationStatus(row: Row, now: number): { status: AttestationStatus; why: string } {
  const expiresAt = row.expires_at === null ? null : Number(row.expires_at);
  if (row.revoked) {
    const at = iso(row.revoked_at === null ? null : Number(row.revoked_at));
    return { status: "revoked", why: `revoked${at ? ` on ${at}` : ""} by ${row.revoker} with reason code ${row.revoke_reason}` };
  }
  if (expiresAt !== null && now >= expiresAt) return { status: "expired", why: `expired on ${iso(expiresAt)}` };
  return {
    status: "valid",
    why: `attested by member ${row.attester_member} for ${row.scheme_name ?? `scheme ${row.scheme}`}, ${expiresAt === null ? "no expiry" : `valid until ${iso(expiresAt)}`}`,
  };
}

export function attestationViewFromRow(row: Row, now: number): AttestationView {
  const { status, why } = attestationStatus(row, now);
  const kind = SUBJECTS[Number(row.subject_kind) as 1 | 2 | 3] ?? null;
  const subject = String(row.subject);
  return {
    uid: String(row.uid),
    scheme: schemeRef(row),
    subject: { kind, value: kind === "lot" || kind === "member" ? BigInt(subject).toString() : subject },
    attester: { account: String(row.attester), memberId: String(row.attester_member) },
    attestedAt: iso(row.attested_at === null ? null : Number(row.attested_at)),
    expiresAt: iso(row.expires_at === null ? null : Number(row.expires_at)),
    evidence: String(row.evidence),
    dataHash: String(row.data_hash),
    txHash: String(row.tx_hash),
    position: String(row.position),
    status,
    why,
    revocation: row.revoked ? { by: String(row.revoker), reason: Number(row.revoke_reason), at: iso(row.revoked_at === null ? null : Number(row.revoked_at)) } : null,
  };
}

const SCHEME_COLUMNS = "s.name as scheme_name, s.version as scheme_version, s.model as scheme_model";

export type LotAttestationsParameters = { now?: Date | undefined; cursor?: string | undefined; limit?: number | undefined };

/**
 * A lot's attestations with their status at `now`: its own (direct) and those of the lots it was
 * made from (inherited, by depth), paged; and, per scheme, whether it carries the claim now and
 * why (its own attestation, a claim carried through a split, merge or transform, a mass-balance
 * mark, or spent). Null if the lot is unknown.
 *
 * @throws {DagTooLargeError} when the ancestry walk exceeds the path limit.
 */
export async function getLotAttestations(q: Queryable, lotId: bigint, parameters: LotAttestationsParameters = {}): Promise<LotAttestationsView | null> {
  const nowDate = parameters.now ?? new Date();
  const now = Math.floor(nowDate.getTime() / 1000);
  const lot = await q.query("select status, consumed_at from lots where lot_id = $1", [lotId.toString()]);
  if (lot.rows.length === 0) return null;
  const consumed = lot.rows[0]!.status === "consumed";

  const limit = pageSize(parameters.limit);
  const list = `attestations:${lotId}`;
  const [afterDepth, afterPosition, afterUid] = parameters.cursor ? decodeCursor(list, parameters.cursor, [INT, /^\d{24}$/, /^0x[0-9a-f]{64}$/]) : ["-1", "", ""];
  const { rows } = await q.query(
    `with recursive walk(lot_id, depth) as (
       select $1::int8, 0
       union
       select e.parent_id, w.depth + 1 from walk w join lot_edges e on e.child_id = w.lot_id where w.depth < $2
     ),
     capped as materialized (select * from walk limit $3),
     ancestors as (select lot_id, min(depth) as depth from capped group by lot_id)
     select (select count(*) from capped)::int as walked, x.*
       from (select 1) one
       left join lateral (
         select a.*, n.depth, ${SCHEME_COLUMNS}
           from ancestors n join attestations a on a.lot_id = n.lot_id left join schemes s on s.scheme = a.scheme
          where (n.depth, a.position, a.uid) > ($4::int, $5::text, $6::text)
          order by n.depth, a.position, a.uid
          limit $7
       ) x on true`,
    [lotId.toString(), QUERY_LIMITS.maxDepth, QUERY_LIMITS.maxPathRows + 1, Number(afterDepth), afterPosition, afterUid, limit + 1],
  );
  if (Number(rows[0]?.walked ?? 0) > QUERY_LIMITS.maxPathRows) throw new DagTooLargeError(lotId, "ancestors", QUERY_LIMITS.maxPathRows, QUERY_LIMITS.maxDepth);
  const found = rows.filter((row) => row.uid !== null && row.uid !== undefined);
  const items: LotAttestationItem[] = found.slice(0, limit).map((row) => ({
    ...attestationViewFromRow(row, now),
    relation: Number(row.depth) === 0 ? "direct" : "inherited",
    lotId: String(row.lot_id),
    depth: Number(row.depth),
  }));
  const last = items.at(-1);
  const nextCursor = found.length > limit && last ? encodeCursor(list, [last.depth, last.position, last.uid]) : null;
  return { lotId: lotId.toString(), asOf: nowDate.toISOString(), claims: await lotClaims(q, lotId, now, consumed), items, nextCursor };
}

/**
 * Per scheme the lot has a claim record or a direct attestation for: whether it carries the claim
 * at `now`, following the contract's `carriesClaim`: a spent claim carries nothing; a carried or
 * marked claim counts until it expires; else the lot's latest attestation for the scheme decides.
 * A consumed lot under mass balance carries nothing (its claim became credit).
 */
async function lotClaims(q: Queryable, lotId: bigint, now: number, consumed: boolean): Promise<LotClaimView[]> {
  const { rows } = await q.query(
    `with schemes_of_lot as (
       select scheme from lot_claims where lot_id = $1
       union select scheme from attestations where lot_id = $1
     )
     select k.scheme, ${SCHEME_COLUMNS},
            c.state, c.valid_until, c.family, c.position as claim_position,
            (select count(*) from attestations plot
              where c.state = 'origin' and plot.subject_kind = 2 and plot.scheme = k.scheme and not plot.revoked
                and (plot.expires_at is null or plot.expires_at > $2)
                and plot.subject = (select o.subject from attestations o where o.uid = c.origin_uid)) as origin_valid,
            (select m.member_id from mass_balance_moves m
              where m.lot_id = $1 and m.scheme = k.scheme and m.cause = 'handover' order by m.position desc limit 1) as credited_member,
            latest.*
       from schemes_of_lot k
       left join schemes s on s.scheme = k.scheme
       left join lot_claims c on c.lot_id = $1 and c.scheme = k.scheme
       left join lateral (
         select a.uid, a.revoked, a.revoker, a.revoke_reason, a.revoked_at, a.expires_at, a.attester_member, a.attested_at
           from attestations a where a.lot_id = $1 and a.scheme = k.scheme order by a.position desc limit 1
       ) latest on true
      order by k.scheme`,
    [lotId.toString(), now],
  );
  return rows.map((row) => {
    const scheme = schemeRef(row);
    const name = scheme.name ?? `scheme ${scheme.id}`;
    const validUntil = row.valid_until === null ? null : Number(row.valid_until);
    if (row.state === "spent") {
      return { scheme, carries: false, status: "spent", source: null, validUntil: null, why: `spent: the claim became mass-balance credit of member ${row.credited_member ?? "?"} when the lot was handed over` };
    }
    if (consumed && Number(row.scheme_model) === MASS_BALANCE && (row.state === "marked" || row.uid)) {
      return { scheme, carries: false, status: "spent", source: null, validUntil: null, why: "spent: the lot was consumed and its mass-balance claim became its custodian's credit" };
    }
    let expiredClaim: string | null = null;
    if (row.state === "origin") {
      if (Number(row.origin_valid) > 0) {
        return { scheme, carries: true, status: "valid", source: "origin", validUntil: null, why: `minted from an origin plot that holds a valid attestation for ${name}` };
      }
      expiredClaim = "its origin plot's attestation was revoked or expired";
    }
    if (row.state === "carried" || row.state === "marked") {
      if (validUntil === null || now < validUntil) {
        const why =
          row.state === "marked"
            ? `marked claimed by its custodian against mass-balance credit for ${name}`
            : `carried through a split, merge or transform${row.family ? ` from attested lot ${row.family}` : " from inputs that all carried it"}; ${validUntil === null ? "no expiry" : `valid until ${iso(validUntil)}`}`;
        return { scheme, carries: true, status: "valid", source: row.state as "carried" | "marked", validUntil: iso(validUntil), why };
      }
      expiredClaim = `the claim carried to it expired on ${iso(validUntil)}`;
    }
    if (row.uid) {
      const { status, why } = attestationStatus({ ...row, scheme: scheme.id }, now);
      return {
        scheme,
        carries: status === "valid",
        status,
        source: "direct",
        validUntil: status === "valid" ? iso(row.expires_at === null ? null : Number(row.expires_at)) : null,
        why: expiredClaim ? `${expiredClaim}; its own attestation: ${why}` : why,
      };
    }
    return { scheme, carries: false, status: row.state === "origin" ? "revoked" : "expired", source: row.state as "carried" | "origin", validUntil: iso(validUntil), why: expiredClaim ?? "no claim" };
  });
}

/** The claims a lot carries now (for the lot view). */
export async function getLotCarriedClaims(q: Queryable, lotId: bigint, now: Date = new Date()): Promise<LotClaimView[]> {
  const lot = await q.query("select status from lots where lot_id = $1", [lotId.toString()]);
  if (lot.rows.length === 0) return [];
  return (await lotClaims(q, lotId, Math.floor(now.getTime() / 1000), lot.rows[0]!.status === "consumed")).filter((claim) => claim.carries);
}

export type MemberAttestationsParameters = {
  scheme?: number | undefined;
  status?: AttestationStatus | undefined;
  now?: Date | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
};

/** A certifier's attestations (made by its accounts), oldest first, with status at `now`; paged, at most `scanRows` examined per page. */
export async function memberAttestations(q: Queryable, memberId: bigint, parameters: MemberAttestationsParameters = {}): Promise<Page<AttestationView>> {
  const now = Math.floor((parameters.now ?? new Date()).getTime() / 1000);
  const limit = pageSize(parameters.limit);
  const list = `member-attestations:${memberId}`;
  const [afterPosition, afterUid] = parameters.cursor ? decodeCursor(list, parameters.cursor, [/^\d{24}$/, /^0x[0-9a-f]{64}$/]) : ["", ""];
  const status = parameters.status ?? null;
  const { rows } = await q.query(
    `with scanned as (
       select * from attestations
        where attester_member = $1 and (position, uid) > ($2::text, $3::text)
        order by position, uid limit $4
     )
     select (select count(*) from scanned)::int as scanned, (select max(position || uid) from scanned) as last_key, x.*
       from (select 1) one left join lateral (
         select a.*, ${SCHEME_COLUMNS} from scanned a left join schemes s on s.scheme = a.scheme
          where ($5::int is null or a.scheme = $5)
            and ($6::text is null or $6 = case when a.revoked then 'revoked'
                                              when a.expires_at is not null and a.expires_at <= $7 then 'expired'
                                              else 'valid' end)
          order by a.position, a.uid limit $8
       ) x on true`,
    [memberId.toString(), afterPosition, afterUid, QUERY_LIMITS.scanRows, parameters.scheme ?? null, status, now, limit],
  );
  const items = rows.filter((row) => row.uid !== null && row.uid !== undefined).map((row) => attestationViewFromRow(row, now));
  const scanned = Number(rows[0]?.scanned ?? 0);
  let nextCursor: string | null = null;
  if (items.length === limit) nextCursor = encodeCursor(list, [items.at(-1)!.position, items.at(-1)!.uid]);
  else if (scanned === QUERY_LIMITS.scanRows && rows[0]?.last_key) {
    const key = String(rows[0].last_key);
    nextCursor = encodeCursor(list, [key.slice(0, 24), key.slice(24)]);
  }
  return { items, nextCursor };
}

/**
 * Attestations about origin plots (a plot's subject is the commitment a delivery carries on chain
 * as its origin), oldest first, with status at `now`; at most `limit`.
 */
export async function getPlotAttestations(q: Queryable, commitments: readonly string[], parameters: { now: Date; limit: number }): Promise<AttestationView[]> {
  if (commitments.length === 0) return [];
  const { rows } = await q.query(
    `select a.*, ${SCHEME_COLUMNS}
       from attestations a left join schemes s on s.scheme = a.scheme
      where a.subject_kind = 2 and a.subject = any($1::text[])
      order by a.position, a.uid limit $2`,
    [commitments.map((commitment) => commitment.toLowerCase()), parameters.limit],
  );
  const now = Math.floor(parameters.now.getTime() / 1000);
  return rows.map((row) => attestationViewFromRow(row, now));
}

export type CreditView = { scheme: SchemeRef; form: { id: number; name: string | null }; grams: string };

/** A custodian's mass-balance credit per scheme and form (grams it may still mark claimed). */
export async function memberCredits(q: Queryable, memberId: bigint, filters: { scheme?: number | undefined } = {}): Promise<CreditView[]> {
  const { rows } = await q.query(
    `select c.scheme, ${SCHEME_COLUMNS}, c.form, f.name as form_name, c.balance::text as balance
       from mass_balance_credits c left join schemes s on s.scheme = c.scheme left join forms f on f.form = c.form
      where c.member_id = $1 and ($2::int is null or c.scheme = $2)
      order by c.scheme, c.form
      limit ${QUERY_LIMITS.maxPage}`,
    [memberId.toString(), filters.scheme ?? null],
  );
  return rows.map((row) => ({ scheme: schemeRef(row), form: { id: Number(row.form), name: (row.form_name as string | null) ?? null }, grams: String(row.balance) }));
}

