import type { RecordSealer } from "../chain/keystore";
import type { Database, Queryable } from "../db";
import { openField } from "../farmers/fieldCipher";
import type { ConfirmationProof } from "./confirmationProof";
import {
  CONFIRMATION_LEAF_ENCODING,
  buildConfirmationTree,
  fallbackRecordText,
  sha256Hex,
  type ConfirmationLeafValue,
  type ConfirmationRecord,
} from "./confirmationTree";
import { PaymentInRunError, PaymentNotFoundError } from "./errors";
import { LEAF_ENCODING, leafOf, payoutLeafHash, type LeafValue } from "./payoutTree";
import { passkeyProofOf } from "./confirmationStore";

/**
 * Batches of farmers' confirmations of a payout run's payments, committed on chain: the
 * cooperative gathers the confirmations of the run's payments not yet in a batch, makes each a
 * record (the payment's leaf hash in the run, the verdict, the kind, the hash of the signed
 * statement or of the cooperative's record), and publishes the records' Merkle root beside the
 * run's root. Once that root is indexed the public passkey share counts them; the export gives an
 * auditor every record, its proof, the payment's leaf and proof, and the passkey's proof.
 */
export type PreparedConfirmationBatch = { batchRoot: string; runRoot: string; count: number; created: boolean };

/** A refusal of a batch that is not a missing run (HTTP 409; `code` names it). */
export class ConfirmationBatchConflictError extends PaymentInRunError {
  override name = "ConfirmationBatchConflictError";
  constructor(
    readonly code: "run_not_on_chain" | "nothing_to_publish" | "batch_published",
    message: string,
    problemDetails: unknown = null,
  ) {
    super(message, problemDetails);
  }
}

/** One confirmation as an auditor receives it. */
export type ExportedConfirmation = {
  /** The record's leaf (payment leaf hash, verdict code, kind code, proof hash) and its proof under the batch root. */
  value: ConfirmationLeafValue;
  proof: string[];
  paymentId: string;
  /** The payment's leaf in the run and its proof under the run's root: the digest the farmer signed is recomputed from it. */
  payment: { value: LeafValue; proof: string[] };
  /** passkey: what the phone signed and how to check it. */
  passkey: ConfirmationProof | null;
  /** agent-code, paper: the cooperative's record whose SHA-256 is the leaf's proof hash. */
  record: string | null;
};

export type ConfirmationsExport = {
  format: "firstmile.confirmations.v1";
  runRoot: string;
  /** The farmer's page origin (the passkeys' relying party): each passkey signed for it. */
  origin: string;
  encoding: readonly string[];
  paymentEncoding: readonly string[];
  batches: { batchRoot: string; count: number; confirmations: ExportedConfirmation[] }[];
};

type Row = {
  id: string;
  payment_id: string;
  kind: "passkey" | "agent-code" | "paper";
  verdict: "confirmed" | "disputed";
  payment_digest: string;
  statement: string | null;
  evidence_cid: string | null;
  created_at: Date;
};

/** The run's leaves keyed by payment id (a leaf names no payment: matched by the facts it states). */
async function runLeavesByPayment(db: Queryable, sealer: RecordSealer, runRoot: string, memberId: bigint): Promise<Map<string, { value: LeafValue; proof: string[] }>> {
  const { rows } = await db.query<{ leaves_enc: Buffer }>("select leaves_enc from payout_run_records where root = $1 and member_id = $2", [runRoot, memberId.toString()]);
  if (!rows[0]) throw new PaymentNotFoundError(`no payout run ${runRoot} of your cooperative`);
  const leaves = JSON.parse(openField(sealer, runRoot, "leaves", rows[0].leaves_enc) as string) as { value: LeafValue; proof: string[] }[];
  const { rows: payments } = await db.query<{ id: string; pseudonym: string; delivery_lot_ids: string[]; currency: string; paid_at: Date }>(
    `select p.id, f.pseudonym, p.delivery_lot_ids::text[] as delivery_lot_ids, p.currency, p.paid_at from payments p join farmers f on f.id = p.farmer_id
      where p.payout_root = $1 and p.member_id = $2 order by p.id`,
    [runRoot, memberId.toString()],
  );
  // Two payments alike in every stated fact are alike to an auditor too: either leaf serves, once each.
  const free = leaves.map((leaf) => ({ leaf, facts: leafOf(leaf.value), taken: false }));
  const byPayment = new Map<string, { value: LeafValue; proof: string[] }>();
  for (const p of payments) {
    const match = free.find(
      (l) =>
        !l.taken &&
        l.facts.pseudonym === p.pseudonym &&
        l.facts.currency === p.currency &&
        l.facts.paidAt === Math.floor(p.paid_at.getTime() / 1000) &&
        l.facts.deliveryLotIds.map(String).join(",") === p.delivery_lot_ids.join(","),
    );
    if (match) {
      match.taken = true;
      byPayment.set(p.id, match.leaf);
    }
  }
  return byPayment;
}

const proofHashOf = (row: Row) =>
  row.kind === "passkey"
    ? sha256Hex(row.statement!)
    : sha256Hex(fallbackRecordText({ id: row.id, paymentDigest: row.payment_digest, kind: row.kind, verdict: row.verdict, evidenceCid: row.evidence_cid, recordedAt: row.created_at }));

/**
 * Builds the next batch of a run's confirmations (those not yet in a batch) and records it with
 * its confirmations marked, in one transaction. The same idempotency key again answers the batch
 * it made.
 *
 * @throws {PaymentNotFoundError} not a run of this cooperative (another's, or none).
 * @throws {ConfirmationBatchConflictError} `run_not_on_chain` (the run's root is not indexed yet),
 *   `nothing_to_publish` (every confirmation is in a batch), `batch_published` (the root exists).
 */
export async function prepareConfirmationBatch(
  db: Database,
  sealer: RecordSealer,
  { memberId, runRoot, idempotencyKey }: { memberId: bigint; runRoot: string; idempotencyKey: string },
): Promise<PreparedConfirmationBatch> {
  const root = runRoot.toLowerCase();
  const known = await db.query<{ batch_root: string; run_root: string; count: number }>(
    "select batch_root, run_root, count from confirmation_batch_records where member_id = $1 and idempotency_key = $2",
    [memberId.toString(), idempotencyKey],
  );
  if (known.rows[0]) return { batchRoot: known.rows[0].batch_root, runRoot: known.rows[0].run_root, count: Number(known.rows[0].count), created: false };
  const leaves = await runLeavesByPayment(db, sealer, root, memberId);
  const onChain = await db.query("select 1 from payout_runs where root = $1", [root]);
  if (onChain.rows.length === 0) throw new ConfirmationBatchConflictError("run_not_on_chain", `payout run ${root} is not on chain yet: publish its confirmations once GET /v1/payout-runs shows it published`);
  const { rows } = await db.query<Row>(
    `select c.id, c.payment_id, c.kind, c.verdict, c.payment_digest, c.statement, c.evidence_cid, c.created_at from payment_confirmations c
       join payments p on p.id = c.payment_id
      where p.payout_root = $1 and c.member_id = $2 and c.batch_root is null order by c.created_at, c.id`,
    [root, memberId.toString()],
  );
  const records: ConfirmationRecord[] = [];
  const ids: string[] = [];
  for (const row of rows) {
    const leaf = leaves.get(row.payment_id);
    if (!leaf) continue;
    records.push({ paymentLeaf: payoutLeafHash(leaf.value), verdict: row.verdict, kind: row.kind, proofHash: proofHashOf(row) });
    ids.push(row.id);
  }
  if (records.length === 0) throw new ConfirmationBatchConflictError("nothing_to_publish", `every confirmation of payout run ${root}'s payments is in a published batch already: there is nothing new to publish`);
  const tree = buildConfirmationTree(records);
  await db.transaction(async (tx) => {
    const { rows: existing } = await tx.query("select 1 from confirmation_batch_records where batch_root = $1", [tree.root]);
    if (existing.length > 0) throw new ConfirmationBatchConflictError("batch_published", `confirmation batch ${tree.root} was published before`, { batchRoot: tree.root });
    await tx.query("insert into confirmation_batch_records (batch_root, run_root, member_id, idempotency_key, count, leaves) values ($1, $2, $3, $4, $5, $6)", [
      tree.root,
      root,
      memberId.toString(),
      idempotencyKey,
      tree.count,
      JSON.stringify(tree.leaves.map((leaf, i) => ({ ...leaf, confirmationId: ids[i] }))),
    ]);
    const { rowCount } = await tx.query("update payment_confirmations set batch_root = $1 where id = any($2::text[]) and batch_root is null", [tree.root, ids]);
    // Another batch took one of them meanwhile: roll back, nothing written.
    if (rowCount !== ids.length) throw new ConfirmationBatchConflictError("batch_published", "a confirmation of this batch was put in another batch meanwhile; nothing was written");
  });
  return { batchRoot: tree.root, runRoot: root, count: tree.count, created: true };
}

/** A run's confirmation batches, oldest first, each with whether its root is indexed (on chain). */
export async function listConfirmationBatches(
  db: Queryable,
  runRoot: string,
  memberId: bigint,
): Promise<{ batchRoot: string; count: number; createdAt: string; published: boolean; txHash: string | null; publishedAt: string | null }[]> {
  const run = await db.query("select 1 from payout_run_records where root = $1 and member_id = $2", [runRoot.toLowerCase(), memberId.toString()]);
  if (run.rows.length === 0) throw new PaymentNotFoundError(`no payout run ${runRoot} of your cooperative`);
  const { rows } = await db.query<{ batch_root: string; count: number; created_at: Date; tx_hash: string | null; published_at: Date | null }>(
    `select r.batch_root, r.count, r.created_at, b.tx_hash, b.published_at from confirmation_batch_records r
       left join confirmation_batches b on b.batch_root = r.batch_root
      where r.run_root = $1 and r.member_id = $2 order by r.created_at, r.batch_root`,
    [runRoot.toLowerCase(), memberId.toString()],
  );
  return rows.map((row) => ({
    batchRoot: row.batch_root,
    count: Number(row.count),
    createdAt: row.created_at.toISOString(),
    published: row.tx_hash !== null,
    txHash: row.tx_hash,
    publishedAt: row.published_at?.toISOString() ?? null,
  }));
}

/** Every batch of a run with its confirmations, for an auditor (`firstmile verify --confirmations`). */
export async function exportConfirmations(db: Queryable, sealer: RecordSealer, runRoot: string, memberId: bigint, origin: string): Promise<ConfirmationsExport> {
  const root = runRoot.toLowerCase();
  const leaves = await runLeavesByPayment(db, sealer, root, memberId);
  const { rows: batches } = await db.query<{ batch_root: string; count: number; leaves: string }>(
    "select batch_root, count, leaves from confirmation_batch_records where run_root = $1 and member_id = $2 order by created_at, batch_root",
    [root, memberId.toString()],
  );
  const { rows } = await db.query<Row & { batch_root: string; credential_id: string | null; public_key: Buffer | null; authenticator_data: Buffer | null; client_data_json: Buffer | null; signature: Buffer | null }>(
    `select id, payment_id, kind, verdict, payment_digest, statement, evidence_cid, created_at, batch_root, credential_id, public_key, authenticator_data, client_data_json, signature
       from payment_confirmations where batch_root = any($1::text[])`,
    [batches.map((b) => b.batch_root)],
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  return {
    format: "firstmile.confirmations.v1",
    runRoot: root,
    origin,
    encoding: CONFIRMATION_LEAF_ENCODING,
    paymentEncoding: LEAF_ENCODING,
    batches: batches.map((batch) => ({
      batchRoot: batch.batch_root,
      count: Number(batch.count),
      confirmations: (JSON.parse(batch.leaves) as { value: ConfirmationLeafValue; proof: string[]; confirmationId: string }[]).map((leaf) => {
        const row = byId.get(leaf.confirmationId)!;
        const passkey = passkeyProofOf(row);
        const record =
          row.kind === "passkey"
            ? null
            : fallbackRecordText({ id: row.id, paymentDigest: row.payment_digest, kind: row.kind, verdict: row.verdict, evidenceCid: row.evidence_cid, recordedAt: row.created_at });
        return { value: leaf.value, proof: leaf.proof, paymentId: row.payment_id, payment: leaves.get(row.payment_id)!, passkey, record };
      }),
    })),
  };
}
