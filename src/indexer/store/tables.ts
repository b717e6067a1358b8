import type {
  AccountRow,
  AccreditationRow,
  AttestationRow,
  FormRow,
  HandoverRow,
  LotClaimRow,
  DdsReferenceRow,
  LotEdgeRow,
  LotEventRow,
  LotEvidenceRow,
  LotIngredientRow,
  LotRow,
  MassBalanceCreditRow,
  MassBalanceMoveRow,
  MemberRow,
  PayoutRunRow,
  ConfirmationBatchRow,
  PremiumCommitmentRow,
  SchemeRow,
  YieldBoundsRow,
} from "./rows";

/** How one column of a row is written: SQL array type for `unnest`, and the value. */
export type Column<R> = { name: string; type: string; value: (row: R) => unknown };

/**
 * A read-model table as the store writes it. `key` set: rows are final states, upserted (insert
 * ... on conflict (key) do update); unset: rows are new, inserted.
 */
export type TableSpec<R> = { table: string; columns: readonly Column<R>[]; key?: readonly string[] };

const str = (value: bigint | number | null) => (value === null ? null : value.toString());
const time = (value: Date | null) => (value === null ? null : isoTimestamp(value.getTime()));

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, "0"));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, "0"));
let lastDay = NaN;
let lastDayText = "";

/**
 * `new Date(ms).toISOString()`, in a quarter of its time: the date part is formatted once per
 * day (a batch's rows come block by block), the time of day from digit tables. Every timestamp
 * column of every row goes through here, several per event.
 */
export function isoTimestamp(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  if (day !== lastDay) {
    const text = new Date(day * DAY_MS).toISOString();
    lastDayText = text.slice(0, text.indexOf("T") + 1);
    lastDay = day;
  }
  let rest = ms - day * DAY_MS;
  const milliseconds = rest % 1000;
  rest = (rest - milliseconds) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  return `${lastDayText}${TWO_DIGITS[(rest - minutes) / 60]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[milliseconds]}Z`;
}

export const PREMIUM_COMMITMENTS: TableSpec<PremiumCommitmentRow> = {
  table: "premium_commitments",
  columns: [
    { name: "commitment_id", type: "int8", value: (r) => str(r.commitmentId) },
    { name: "lot_id", type: "int8", value: (r) => str(r.lotId) },
    { name: "member_id", type: "int8", value: (r) => str(r.memberId) },
    { name: "scheme", type: "text", value: (r) => r.scheme },
    { name: "currency", type: "text", value: (r) => r.currency },
    { name: "rate_per_kg", type: "numeric", value: (r) => str(r.ratePerKg) },
    { name: "grams", type: "numeric", value: (r) => str(r.grams) },
    { name: "position", type: "text", value: (r) => r.position },
    { name: "tx_hash", type: "text", value: (r) => r.txHash },
    { name: "committed_at", type: "timestamptz", value: (r) => time(r.committedAt) },
  ],
};

export const PAYOUT_RUNS: TableSpec<PayoutRunRow> = {
  table: "payout_runs",
  columns: [
    { name: "root", type: "text", value: (r) => r.root },
    { name: "member_id", type: "int8", value: (r) => str(r.memberId) },
    { name: "count", type: "int4", value: (r) => r.count },
    { name: "totals", type: "text", value: (r) => r.totals },
    { name: "position", type: "text", value: (r) => r.position },
    { name: "tx_hash", type: "text", value: (r) => r.txHash },
    { name: "published_at", type: "timestamptz", value: (r) => time(r.publishedAt) },
  ],
};

export const CONFIRMATION_BATCHES: TableSpec<ConfirmationBatchRow> = {
  table: "confirmation_batches",
  columns: [
    { name: "batch_root", type: "text", value: (r) => r.batchRoot },
    { name: "run_root", type: "text", value: (r) => r.runRoot },
    { name: "member_id", type: "int8", value: (r) => str(r.memberId) },
    { name: "count", type: "int4", value: (r) => r.count },
    { name: "position", type: "text", value: (r) => r.position },
    { name: "tx_hash", type: "text", value: (r) => r.txHash },
    { name: "published_at", type: "timestamptz", value: (r) => time(r.publishedAt) },
  ],
};

export const MEMBERS: TableSpec<MemberRow> = {
  table: "members",
  key: ["member_id"],
  columns: [
    { name: "member_id", type: "int8", value: (r) => str(r.memberId) },
    { name: "roles", type: "int2", value: (r) => r.roles },
    { name: "active", type: "bool", value: (r) => r.active },
    { name: "country", type: "text", value: (r) => r.country },
    { name: "metadata", type: "text", value: (r) => r.metadata },
    { name: "added_position", type: "text", value: (r) => r.addedPosition },
    { name: "added_at", type: "timestamptz", value: (r) => time(r.addedAt) },
    { name: "updated_position", type: "text", value: (r) => r.updatedPosition },
  ],
};

export const ACCOUNTS: TableSpec<AccountRow> = {
  table: "accounts",
  key: ["address"],
  columns: [
    { name: "address", type: "text", value: (r) => r.address },
    { name: "member_id", type: "int8", value: (r) => str(r.memberId) },
    { name: "number", type: "int8", value: (r) => r.number },
    { name: "active", type: "bool", value: (r) => r.active },
    { name: "added_position", type: "text", value: (r) => r.addedPosition },
    { name: "added_at", type: "timestamptz", value: (r) => time(r.addedAt) },
  ],
};

export const FORMS: TableSpec<FormRow> = {
  table: "forms",
  key: ["form"],
  columns: [
    { name: "form", type: "int2", value: (r) => r.form },
    { name: "commodity", type: "int2", value: (r) => r.commodity },
    { name: "loss_bps", type: "int4", value: (r) => r.lossBps },
    { name: "gain_bps", type: "int4", value: (r) => r.gainBps },
    { name: "mintable", type: "bool", value: (r) => r.mintable },
    { name: "dry_basis", type: "bool", value: (r) => r.dryBasis },
    { name: "name", type: "text", value: (r) => r.name },
    { name: "registered_position", type: "text", value: (r) => r.registeredPosition },
  ],
};

export const YIELD_BOUNDS: TableSpec<YieldBoundsRow> = {
  table: "yield_bounds",
  key: ["input_form", "output_form"],
  columns: [
    { name: "input_form", type: "int2", value: (r) => r.inputForm },
    { name: "output_form", type: "int2", value: (r) => r.outputForm },
    { name: "min_bps", type: "int8", value: (r) => r.minBps },
    { name: "max_bps", type: "int8", value: (r) => r.maxBps },
    { name: "updated_position", type: "text", value: (r) => r.updatedPosition },
  ],
};

export const LOTS: TableSpec<LotRow> = {
  table: "lots",
  key: ["lot_id"],
  columns: [
    { name: "lot_id", type: "int8", value: (r) => str(r.lotId) },
    { name: "commodity", type: "int2", value: (r) => r.commodity },
    { name: "form", type: "int2", value: (r) => r.form },
    { name: "grams", type: "numeric", value: (r) => str(r.grams) },
    { name: "quality", type: "int4", value: (r) => r.quality },
    { name: "status", type: "text", value: (r) => r.status },
    { name: "custodian", type: "text", value: (r) => r.custodian },
    { name: "custodian_member", type: "int8", value: (r) => str(r.custodianMember) },
    { name: "pending_receiver", type: "text", value: (r) => r.pendingReceiver },
    { name: "pending_receiver_member", type: "int8", value: (r) => str(r.pendingReceiverMember) },
    { name: "open_handover_seq", type: "int4", value: (r) => r.openHandoverSeq },
    { name: "creator", type: "text", value: (r) => r.creator },
    { name: "creator_member", type: "int8", value: (r) => str(r.creatorMember) },
    { name: "genesis", type: "text", value: (r) => r.genesis },
    { name: "metadata", type: "text", value: (r) => r.metadata },
    { name: "origin", type: "text", value: (r) => r.origin },
    { name: "head", type: "text", value: (r) => r.head },
    { name: "event_count", type: "int4", value: (r) => r.eventCount },
    { name: "created_position", type: "text", value: (r) => r.createdPosition },
    { name: "created_block", type: "int8", value: (r) => r.createdBlock },
    { name: "created_tx", type: "text", value: (r) => r.createdTx },
    { name: "created_at", type: "timestamptz", value: (r) => time(r.createdAt) },
    { name: "consumed_position", type: "text", value: (r) => r.consumedPosition },
    { name: "consumed_at", type: "timestamptz", value: (r) => time(r.consumedAt) },
    { name: "updated_position", type: "text", value: (r) => r.updatedPosition },
  ],
};

export const HANDOVERS: TableSpec<HandoverRow> = {
  table: "handovers",
  key: ["lot_id", "offer_seq"],
  columns: [
    { name: "lot_id", type: "int8", value: (r) => str(r.lotId) },
    { name: "offer_seq", type: "int4", value: (r) => r.offerSeq },
    { name: "sender", type: "text", value: (r) => r.sender },
    { name: "sender_member", type: "int8", value: (r) => str(r.senderMember) },
    { name: "receiver", type: "text", value: (r) => r.receiver },
    { name: "receiver_member", type: "int8", value: (r) => str(r.receiverMember) },
    { name: "status", type: "text", value: (r) => r.status },
    { name: "grams_sent", type: "numeric", value: (r) => str(r.gramsSent) },
    { name: "grams_received", type: "numeric", value: (r) => str(r.gramsReceived) },
    { name: "quality", type: "int4", value: (r) => r.quality },
    { name: "reason", type: "int4", value: (r) => r.reason },
    { name: "accepted_by", type: "text", value: (r) => r.acceptedBy },
    { name: "offered_position", type: "text", value: (r) => r.offeredPosition },
    { name: "offered_at", type: "timestamptz", value: (r) => time(r.offeredAt) },
    { name: "closed_position", type: "text", value: (r) => r.closedPosition },
    { name: "closed_at", type: "timestamptz", value: (r) => time(r.closedAt) },
  ],
};

export const LOT_EVENTS: TableSpec<LotEventRow> = {
  table: "lot_events",
  columns: [
    { name: "lot_id", type: "int8", value: (r) => str(r.lotId) },
    { name: "seq", type: "int4", value: (r) => r.seq },
    { name: "kind", type: "text", value: (r) => r.kind },
    { name: "position", type: "text", value: (r) => r.position },
    { name: "block_number", type: "int8", value: (r) => r.blockNumber },
    { name: "log_index", type: "int4", value: (r) => r.logIndex },
    { name: "tx_hash", type: "text", value: (r) => r.txHash },
    { name: "block_time", type: "timestamptz", value: (r) => time(r.blockTime) },
    { name: "head", type: "text", value: (r) => r.head },
    { name: "fields", type: "json", value: (r) => JSON.stringify(r.fields) },
  ],
};

export const LOT_EDGES: TableSpec<LotEdgeRow> = {
  table: "lot_edges",
  columns: [
    { name: "parent_id", type: "int8", value: (r) => str(r.parentId) },
    { name: "child_id", type: "int8", value: (r) => str(r.childId) },
    { name: "kind", type: "text", value: (r) => r.kind },
    { name: "parent_grams", type: "numeric", value: (r) => str(r.parentGrams) },
    { name: "child_grams", type: "numeric", value: (r) => str(r.childGrams) },
    { name: "inputs_grams", type: "numeric", value: (r) => str(r.inputsGrams) },
    { name: "outputs_grams", type: "numeric", value: (r) => str(r.outputsGrams) },
    { name: "position", type: "text", value: (r) => r.position },
    { name: "created_at", type: "timestamptz", value: (r) => time(r.createdAt) },
  ],
};

export const LOT_EVIDENCE: TableSpec<LotEvidenceRow> = {
  table: "lot_evidence",
  columns: [
    { name: "lot_id", type: "int8", value: (r) => str(r.lotId) },
    { name: "seq", type: "int4", value: (r) => r.seq },
    { name: "digest", type: "text", value: (r) => r.digest },
    { name: "by_account", type: "text", value: (r) => r.by },
    { name: "by_member", type: "int8", value: (r) => str(r.byMember) },
    { name: "position", type: "text", value: (r) => r.position },
    { name: "tx_hash", type: "text", value: (r) => r.txHash },
    { name: "block_time", type: "timestamptz", value: (r) => time(r.blockTime) },
  ],
};

export const LOT_INGREDIENTS: TableSpec<LotIngredientRow> = {
  table: "lot_ingredients",
  columns: [
    { name: "lot_id", type: "int8", value: (r) => str(r.lotId) },
    { name: "seq", type: "int4", value: (r) => r.seq },
    { name: "output_form", type: "int2", value: (r) => r.outputForm },
    { name: "grams", type: "numeric", value: (r) => str(r.grams) },
    { name: "name", type: "text", value: (r) => r.name },
    { name: "position", type: "text", value: (r) => r.position },
  ],
};

export const SCHEMES: TableSpec<SchemeRow> = {
  table: "schemes",
  key: ["scheme"],
  columns: [
    { name: "scheme", type: "int4", value: (r) => r.scheme },
    { name: "model", type: "int2", value: (r) => r.model },
    { name: "subjects", type: "int2", value: (r) => r.subjects },
    { name: "default_validity", type: "int8", value: (r) => r.defaultValidity },
    { name: "name", type: "text", value: (r) => r.name },
    { name: "version", type: "text", value: (r) => r.version },
    { name: "registered_position", type: "text", value: (r) => r.registeredPosition },
  ],
};

export const ACCREDITATIONS: TableSpec<AccreditationRow> = {
  table: "accreditations",
  key: ["scheme", "member_id"],
  columns: [
    { name: "scheme", type: "int4", value: (r) => r.scheme },
    { name: "member_id", type: "int8", value: (r) => str(r.memberId) },
    { name: "until", type: "int8", value: (r) => r.until },
    { name: "withdrawn", type: "bool", value: (r) => r.withdrawn },
    { name: "updated_position", type: "text", value: (r) => r.updatedPosition },
  ],
};

export const ATTESTATIONS: TableSpec<AttestationRow> = {
  table: "attestations",
  key: ["uid"],
  columns: [
    { name: "uid", type: "text", value: (r) => r.uid },
    { name: "scheme", type: "int4", value: (r) => r.scheme },
    { name: "subject_kind", type: "int2", value: (r) => r.subjectKind },
    { name: "subject", type: "text", value: (r) => r.subject },
    { name: "lot_id", type: "int8", value: (r) => str(r.lotId) },
    { name: "attester", type: "text", value: (r) => r.attester },
    { name: "attester_member", type: "int8", value: (r) => str(r.attesterMember) },
    { name: "attested_at", type: "int8", value: (r) => r.attestedAt },
    { name: "expires_at", type: "int8", value: (r) => r.expiresAt },
    { name: "evidence", type: "text", value: (r) => r.evidence },
    { name: "data_hash", type: "text", value: (r) => r.dataHash },
    { name: "position", type: "text", value: (r) => r.position },
    { name: "tx_hash", type: "text", value: (r) => r.txHash },
    { name: "revoked", type: "bool", value: (r) => r.revoked },
    { name: "revoker", type: "text", value: (r) => r.revoker },
    { name: "revoke_reason", type: "int4", value: (r) => r.revokeReason },
    { name: "revoked_at", type: "int8", value: (r) => r.revokedAt },
    { name: "revoked_position", type: "text", value: (r) => r.revokedPosition },
  ],
};

export const LOT_CLAIMS: TableSpec<LotClaimRow> = {
  table: "lot_claims",
  key: ["lot_id", "scheme"],
  columns: [
    { name: "lot_id", type: "int8", value: (r) => str(r.lotId) },
    { name: "scheme", type: "int4", value: (r) => r.scheme },
    { name: "state", type: "text", value: (r) => r.state },
    { name: "valid_until", type: "int8", value: (r) => r.validUntil },
    { name: "family", type: "int8", value: (r) => str(r.family) },
    { name: "origin_uid", type: "text", value: (r) => r.originUid ?? null },
    { name: "position", type: "text", value: (r) => r.position },
  ],
};

export const DDS_REFERENCES: TableSpec<DdsReferenceRow> = {
  table: "dds_references",
  columns: [
    { name: "position", type: "text", value: (r) => r.position },
    { name: "lot_id", type: "int8", value: (r) => str(r.lotId) },
    { name: "member_id", type: "int8", value: (r) => str(r.memberId) },
    { name: "by_account", type: "text", value: (r) => r.by },
    { name: "reference_number", type: "text", value: (r) => r.referenceNumber },
    { name: "verification_number", type: "text", value: (r) => r.verificationNumber },
    { name: "tx_hash", type: "text", value: (r) => r.txHash },
    { name: "block_time", type: "timestamptz", value: (r) => time(r.blockTime) },
  ],
};

export const MASS_BALANCE_MOVES: TableSpec<MassBalanceMoveRow> = {
  table: "mass_balance_moves",
  columns: [
    { name: "position", type: "text", value: (r) => r.position },
    { name: "member_id", type: "int8", value: (r) => str(r.memberId) },
    { name: "scheme", type: "int4", value: (r) => r.scheme },
    { name: "form", type: "int2", value: (r) => r.form },
    { name: "lot_id", type: "int8", value: (r) => str(r.lotId) },
    { name: "direction", type: "text", value: (r) => r.direction },
    { name: "cause", type: "text", value: (r) => r.cause },
    { name: "grams", type: "numeric", value: (r) => str(r.grams) },
    { name: "balance", type: "numeric", value: (r) => str(r.balance) },
    { name: "tx_hash", type: "text", value: (r) => r.txHash },
    { name: "block_time", type: "timestamptz", value: (r) => time(r.blockTime) },
  ],
};

export const MASS_BALANCE_CREDITS: TableSpec<MassBalanceCreditRow> = {
  table: "mass_balance_credits",
  key: ["member_id", "scheme", "form"],
  columns: [
    { name: "member_id", type: "int8", value: (r) => str(r.memberId) },
    { name: "scheme", type: "int4", value: (r) => r.scheme },
    { name: "form", type: "int2", value: (r) => r.form },
    { name: "balance", type: "numeric", value: (r) => str(r.balance) },
    { name: "updated_position", type: "text", value: (r) => r.updatedPosition },
  ],
};
