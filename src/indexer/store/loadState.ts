import type { Queryable, Row } from "../../db";
import type { Checkpoint } from "../checkpoint";
import { emptyProjectionState, type ProjectionState, type StateNeeds } from "../indexing/project";
import { handoverKey, type AccountRow, type AttestationRow, type FormRow, type HandoverRow, type LotRow, type MemberRow } from "./rows";
import { qualified, type ReadModelSchema } from "./schemaName";

/**
 * What the projector knows about the committed read model, kept between batches by one follower:
 * the rows its last batches touched, so the next batch loads only what it has not seen (a lot is
 * minted, evidenced and merged a few blocks apart, usually in the same or the next batch).
 * Projection updates these rows in place, so a batch that does not commit leaves them wrong:
 * `indexBatch` clears the cache whenever a batch fails, and a restart starts with an empty one.
 * Consumed lots (no event can follow) are dropped after each batch; past `maxLots` the oldest go.
 */
export class ProjectionCache {
  readonly maxLots: number;
  /** null until loaded: the forms table is read once, then kept by the projector. */
  forms: Map<number, FormRow> | null = null;
  accountCount: number | null = null;
  readonly lots = new Map<bigint, LotRow>();
  /** Open handovers of the cached lots, by `handoverKey`. */
  readonly openHandovers = new Map<string, HandoverRow>();
  readonly accounts = new Map<string, AccountRow>();
  readonly members = new Map<bigint, MemberRow>();

  constructor(maxLots = 200_000) {
    this.maxLots = maxLots;
  }

  clear(): void {
    this.forms = null;
    this.accountCount = null;
    this.lots.clear();
    this.openHandovers.clear();
    this.accounts.clear();
    this.members.clear();
  }

  /**
   * Once nothing is projected ahead of the committed batches: keeps their final state and trims to
   * `maxLots` (consumed lots left already, see `forgetConsumed`).
   */
  committed(state: ProjectionState): void {
    this.accountCount = state.accountCount;
    if (this.lots.size <= this.maxLots) return;
    for (const lotId of this.lots.keys()) {
      if (this.lots.size <= this.maxLots / 2) break;
      this.#forget(lotId);
    }
  }

  /**
   * Forgets the lots of a committed batch that were consumed at or before `committedUpTo`: no
   * event can follow them, so no later batch reads them, and a pipeline may drop them while the
   * batch after is still unwritten (unlike the trim to `maxLots`, which may only run when nothing is
   * projected ahead). A lot the batch projected ahead consumed is kept until that batch commits.
   */
  forgetConsumed(lots: Iterable<LotRow>, committedUpTo: Checkpoint): void {
    for (const lot of lots) if (lot.status === "consumed" && lot.consumedPosition !== null && lot.consumedPosition <= committedUpTo) this.#forget(lot.lotId);
  }

  #forget(lotId: bigint): void {
    const lot = this.lots.get(lotId);
    if (lot?.openHandoverSeq !== null && lot?.openHandoverSeq !== undefined) this.openHandovers.delete(handoverKey(lotId, lot.openHandoverSeq));
    this.lots.delete(lotId);
  }
}

/**
 * Loads what a batch's events touch (lots, their open handovers, accounts, members) and every
 * form, in one query per table: the projector then runs without I/O. With a `cache`, only what
 * the cache lacks is read, and the state returned is the cache's own maps (projection fills them).
 */
export async function loadProjectionState(tx: Queryable, schema: ReadModelSchema, needs: StateNeeds, cache: ProjectionCache = new ProjectionCache()): Promise<ProjectionState> {
  const t = (table: string) => qualified(schema, table);

  if (cache.forms === null) {
    const forms = new Map<number, FormRow>();
    for (const row of (await tx.query(`select * from ${t("forms")}`)).rows) {
      const form = formFromRow(row);
      forms.set(form.form, form);
    }
    cache.forms = forms;
  }
  if (cache.accountCount === null) {
    const count = await tx.query<{ count: bigint }>(`select coalesce(max(number), 0)::int8 as count from ${t("accounts")}`);
    cache.accountCount = Number(count.rows[0]!.count);
  }

  const lotIds: string[] = [];
  for (const lotId of needs.lotIds) if (!cache.lots.has(lotId)) lotIds.push(String(lotId));
  if (lotIds.length > 0) {
    const lots = await tx.query(`select * from ${t("lots")} where lot_id = any($1::int8[])`, [lotIds]);
    for (const row of lots.rows) {
      const lot = lotFromRow(row);
      cache.lots.set(lot.lotId, lot);
    }
    if (lots.rows.length > 0) {
      const handovers = await tx.query(`select * from ${t("handovers")} where status = 'offered' and lot_id = any($1::int8[])`, [lots.rows.map((row) => String(row.lot_id))]);
      for (const row of handovers.rows) {
        const handover = handoverFromRow(row);
        cache.openHandovers.set(handoverKey(handover.lotId, handover.offerSeq), handover);
      }
    }
  }
  const addresses = [...needs.accounts].filter((address) => !cache.accounts.has(address));
  if (addresses.length > 0) {
    const accounts = await tx.query(`select * from ${t("accounts")} where address = any($1::text[])`, [addresses]);
    for (const row of accounts.rows) {
      const account = accountFromRow(row);
      cache.accounts.set(account.address, account);
    }
  }
  const memberIds = new Set<bigint>();
  for (const memberId of needs.memberIds) if (!cache.members.has(memberId)) memberIds.add(memberId);
  for (const address of needs.accounts) {
    const memberId = cache.accounts.get(address)?.memberId;
    if (memberId !== undefined && !cache.members.has(memberId)) memberIds.add(memberId);
  }
  if (memberIds.size > 0) {
    const members = await tx.query(`select * from ${t("members")} where member_id = any($1::int8[])`, [[...memberIds].map(String)]);
    for (const row of members.rows) {
      const member = memberFromRow(row);
      cache.members.set(member.memberId, member);
    }
  }

  const state: ProjectionState = {
    ...emptyProjectionState(),
    members: cache.members,
    accounts: cache.accounts,
    forms: cache.forms,
    lots: cache.lots,
    openHandovers: cache.openHandovers,
    accountCount: cache.accountCount,
  };
  if (needs.attestationUids.size > 0) {
    const attestations = await tx.query(`select * from ${t("attestations")} where uid = any($1::text[])`, [[...needs.attestationUids]]);
    for (const row of attestations.rows) {
      const attestation = attestationFromRow(row);
      state.attestations.set(attestation.uid, attestation);
    }
  }
  return state;
}

const big = (value: unknown) => BigInt(value as string | bigint);
const bigOrNull = (value: unknown) => (value === null ? null : BigInt(value as string | bigint));
const dateOrNull = (value: unknown) => (value === null ? null : (value as Date));

export function lotFromRow(row: Row): LotRow {
  return {
    lotId: big(row.lot_id),
    commodity: Number(row.commodity),
    form: Number(row.form),
    grams: big(row.grams),
    quality: Number(row.quality),
    status: row.status as LotRow["status"],
    custodian: String(row.custodian),
    custodianMember: big(row.custodian_member),
    pendingReceiver: (row.pending_receiver as string | null) ?? null,
    pendingReceiverMember: bigOrNull(row.pending_receiver_member),
    openHandoverSeq: row.open_handover_seq === null ? null : Number(row.open_handover_seq),
    creator: String(row.creator),
    creatorMember: big(row.creator_member),
    genesis: row.genesis as LotRow["genesis"],
    metadata: String(row.metadata),
    origin: (row.origin as string | null) ?? null,
    head: String(row.head),
    eventCount: Number(row.event_count),
    createdPosition: String(row.created_position),
    createdBlock: Number(row.created_block),
    createdTx: String(row.created_tx),
    createdAt: dateOrNull(row.created_at),
    consumedPosition: (row.consumed_position as string | null) ?? null,
    consumedAt: dateOrNull(row.consumed_at),
    updatedPosition: String(row.updated_position),
  };
}

export function handoverFromRow(row: Row): HandoverRow {
  return {
    lotId: big(row.lot_id),
    offerSeq: Number(row.offer_seq),
    sender: String(row.sender),
    senderMember: big(row.sender_member),
    receiver: String(row.receiver),
    receiverMember: big(row.receiver_member),
    status: row.status as HandoverRow["status"],
    gramsSent: big(row.grams_sent),
    gramsReceived: bigOrNull(row.grams_received),
    quality: row.quality === null ? null : Number(row.quality),
    reason: row.reason === null ? null : Number(row.reason),
    acceptedBy: (row.accepted_by as string | null) ?? null,
    offeredPosition: String(row.offered_position),
    offeredAt: dateOrNull(row.offered_at),
    closedPosition: (row.closed_position as string | null) ?? null,
    closedAt: dateOrNull(row.closed_at),
  };
}

export function accountFromRow(row: Row): AccountRow {
  return {
    address: String(row.address),
    memberId: big(row.member_id),
    number: Number(row.number),
    active: Boolean(row.active),
    addedPosition: String(row.added_position),
    addedAt: dateOrNull(row.added_at),
  };
}

export function memberFromRow(row: Row): MemberRow {
  return {
    memberId: big(row.member_id),
    roles: Number(row.roles),
    active: Boolean(row.active),
    country: String(row.country),
    metadata: String(row.metadata),
    addedPosition: String(row.added_position),
    addedAt: dateOrNull(row.added_at),
    updatedPosition: String(row.updated_position),
  };
}

export function formFromRow(row: Row): FormRow {
  return {
    form: Number(row.form),
    commodity: Number(row.commodity),
    lossBps: Number(row.loss_bps),
    gainBps: Number(row.gain_bps),
    mintable: Boolean(row.mintable),
    dryBasis: Boolean(row.dry_basis),
    name: String(row.name),
    registeredPosition: String(row.registered_position),
  };
}

const numberOrNull = (value: unknown) => (value === null ? null : Number(value));

export function attestationFromRow(row: Row): AttestationRow {
  return {
    uid: String(row.uid),
    scheme: Number(row.scheme),
    subjectKind: Number(row.subject_kind),
    subject: String(row.subject),
    lotId: bigOrNull(row.lot_id),
    attester: String(row.attester),
    attesterMember: big(row.attester_member),
    attestedAt: numberOrNull(row.attested_at),
    expiresAt: numberOrNull(row.expires_at),
    evidence: String(row.evidence),
    dataHash: String(row.data_hash),
    position: String(row.position),
    txHash: String(row.tx_hash),
    revoked: Boolean(row.revoked),
    revoker: (row.revoker as string | null) ?? null,
    revokeReason: numberOrNull(row.revoke_reason),
    revokedAt: numberOrNull(row.revoked_at),
    revokedPosition: (row.revoked_position as string | null) ?? null,
  };
}
