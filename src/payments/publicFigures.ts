import type { RecordSealer } from "../chain/keystore";
import type { Queryable } from "../db";
import { getLotDag, getPayoutRuns, getPremiumCommitments, type LotView } from "../indexer/queries";
import { leavesOfRuns } from "./payoutRuns";
import { leafOf } from "./payoutTree";
import { premiumFlow, commitmentTotal, type FlowCommitment, type FlowLeaf, type FlowLot, type FlowNode } from "./premiumFlow";
import { MIN_PUBLIC_HOUSEHOLDS } from "../privacy/householdThreshold";
import { convertTotal, ratesNote, type ExchangeRates } from "./exchangeRates";

/**
 * The premium figures of a lot's page and its JSON twin: what buyers committed on the lot and its
 * ancestry, how much of it reached the farmers of the origin deliveries by published payout runs,
 * and how each intermediary passed it on. Amounts are minor units as decimal strings; shares are
 * basis points. Counts and shares over fewer than 5 households are null with `fewerThan5`.
 */
export type PremiumFigures = {
  /** The payout registry the commitments and roots are on. */
  payoutRegistry: string | null;
  commitments: { commitmentId: string; lotId: string; memberId: string; scheme: string; currency: string; ratePerKg: string; total: string; txHash: string }[];
  /** Per currency: committed on these lots, owed to and paid to their origin deliveries. */
  totals: { currency: string; committed: string; owed: string; paid: string; sharePaidBps: number | null }[];
  farmers: { count: number | null; fewerThan5: boolean };
  /** Share of the paid farmers who are women. */
  womenShareBps: number | null;
  medianDaysToPayment: number | null;
  /**
   * Share of the payments counted (in these runs, for these deliveries) that their farmer
   * confirmed with their own passkey (the latest passkey word is "confirmed"); the weaker kinds
   * (agent-read code, paper) never count. Only over at least 5 households. A confirmation counts
   * only once the root of its batch is on chain (indexed `ConfirmationRootPublished`), so the share
   * is not the gateway's word: `firstmile verify --confirmations` checks each one against that root
   * and its signature.
   */
  confirmedByPasskeyBps: number | null;
  intermediaries: { memberId: string; currency: string; received: string; passedOn: string; keptBps: number | null }[];
  /** The payout runs counted, each a root on chain. */
  payoutRuns: { root: string; txHash: string; memberId: string; count: number }[];
  /**
   * The totals over every currency in one display currency, with the rates' source and day, when
   * the gateway has exchange rates (`FIRSTMILE_EXCHANGE_RATES_FILE`); `example`: the demo's example
   * rates, not market rates. Minor units of the display currency, each rounded once; null amounts
   * when a currency has no rate (`missing`).
   */
  converted: ConvertedTotals | null;
};

export type ConvertedTotals = ReturnType<typeof ratesNote> & { committed: string | null; owed: string | null; paid: string | null; missing: string[] };

const DAY_SECONDS = 86_400;

/** The figures for a lot whose ancestry (itself included) is `lotIds`; null when no premium was committed on it. */
export async function premiumFigures(
  tx: Queryable,
  sealer: RecordSealer,
  lotIds: readonly string[],
  payoutRegistry: string | null = null,
  rates: ExchangeRates | null = null,
): Promise<PremiumFigures | null> {
  const commitments = await getPremiumCommitments(tx, lotIds);
  if (commitments.length === 0) return null;
  const flows: FlowCommitment[] = [];
  for (const c of commitments) {
    flows.push({
      commitmentId: c.commitmentId,
      lotId: c.lotId,
      member: c.memberId,
      scheme: c.scheme,
      currency: c.currency,
      ratePerKg: BigInt(c.ratePerKg),
      grams: BigInt(c.grams),
      txHash: c.txHash,
      ancestry: await ancestryOf(tx, BigInt(c.lotId)),
    });
  }
  const origins = [...new Set(flows.flatMap((f) => f.ancestry.filter((n) => n.lot.genesis === "minted").map((n) => n.lot.lotId)))];
  const { rows } = await tx.query<{ payout_root: string }>(
    "select distinct payout_root from payments where payout_root is not null and delivery_lot_ids && $1::int8[]",
    [origins],
  );
  const runs = await getPayoutRuns(tx, { roots: rows.map((row) => row.payout_root) });
  const originSet = new Set(origins);
  const leaves: FlowLeaf[] = [];
  for (const run of await leavesOfRuns(tx, sealer, runs.map((r) => r.root))) {
    for (const { value } of run.leaves) {
      const leaf = leafOf(value);
      const lots = leaf.deliveryLotIds.map(String);
      if (!lots.some((id) => originSet.has(id))) continue;
      leaves.push({ ...leaf, deliveryLotIds: lots, root: run.root });
    }
  }
  const figures = figuresOf(flows, leaves, runs);
  let confirmedByPasskeyBps: number | null = null;
  if (!figures.farmers.fewerThan5 && runs.length > 0) {
    confirmedByPasskeyBps = await passkeyConfirmedShare(tx, runs.map((r) => r.root), origins);
  }
  return { ...figures, confirmedByPasskeyBps, payoutRegistry, converted: rates ? convertedTotals(rates, figures.totals) : null };
}

/** The per-currency totals in the rates' display currency (each sum rounded once). */
export function convertedTotals(rates: ExchangeRates, totals: PremiumFigures["totals"]): ConvertedTotals {
  const sum = (field: "committed" | "owed" | "paid") => convertTotal(rates, totals.map((t) => ({ currency: t.currency, amount: BigInt(t[field]) })));
  const [committed, owed, paid] = [sum("committed"), sum("owed"), sum("paid")];
  return { ...ratesNote(rates), committed: committed.amount?.toString() ?? null, owed: owed.amount?.toString() ?? null, paid: paid.amount?.toString() ?? null, missing: committed.missing };
}

/** The figures from the flow's inputs (pure). */
export function figuresOf(
  flows: readonly FlowCommitment[],
  leaves: readonly FlowLeaf[],
  runs: readonly { root: string; txHash: string; memberId: string; count: number }[],
): Omit<PremiumFigures, "payoutRegistry" | "confirmedByPasskeyBps" | "converted"> {
  const flow = premiumFlow(flows, leaves);
  const currencies = [...new Set(flows.map((f) => f.currency))].sort();
  const totals = currencies.map((currency) => {
    const committed = flows.filter((f) => f.currency === currency).reduce((sum, f) => sum + commitmentTotal(f), 0n);
    const deliveries = flow.deliveries.filter((d) => d.currency === currency);
    const owed = deliveries.reduce((sum, d) => sum + d.owed, 0n);
    const paid = deliveries.reduce((sum, d) => sum + d.paid, 0n);
    return { currency, committed: committed.toString(), owed: owed.toString(), paid: paid.toString(), sharePaidBps: owed === 0n ? null : Number((paid * 10_000n) / owed) };
  });
  // Households: distinct pseudonyms paid for these deliveries.
  const people = householdFigures(leaves, (id) => flow.origins.get(id)?.createdAt ?? null);
  return {
    commitments: flows.map((f) => ({
      commitmentId: f.commitmentId,
      lotId: f.lotId,
      memberId: f.member,
      scheme: f.scheme,
      currency: f.currency,
      ratePerKg: f.ratePerKg.toString(),
      total: commitmentTotal(f).toString(),
      txHash: f.txHash,
    })),
    totals,
    ...people,
    intermediaries: flow.intermediaries.map((row) => ({
      memberId: row.memberId,
      currency: row.currency,
      received: row.received.toString(),
      passedOn: row.passedOn.toString(),
      keptBps: row.received === 0n ? null : Number(((row.received - row.passedOn) * 10_000n) / row.received),
    })),
    payoutRuns: runs.map((run) => ({ root: run.root, txHash: run.txHash, memberId: run.memberId, count: run.count })),
  };
}

/**
 * Households paid (distinct pseudonyms), the share of women among them and the median days from
 * weigh-in to payment, each only over at least 5 households. Shared with `firstmile verify`, which
 * recomputes them from the exported leaves.
 */
export function householdFigures(
  leaves: readonly Pick<FlowLeaf, "pseudonym" | "gender" | "deliveryLotIds" | "paidAt">[],
  deliveredAt: (lotId: string) => string | null,
): Pick<PremiumFigures, "farmers" | "womenShareBps" | "medianDaysToPayment"> {
  const households = new Map<string, string>();
  for (const leaf of leaves) households.set(leaf.pseudonym, leaf.gender);
  const enough = households.size >= MIN_PUBLIC_HOUSEHOLDS;
  const women = [...households.values()].filter((g) => g === "female").length;
  const days: number[] = [];
  for (const leaf of leaves) {
    for (const id of leaf.deliveryLotIds) {
      const at = deliveredAt(id);
      if (at) days.push(Math.max(0, (leaf.paidAt - Date.parse(at) / 1000) / DAY_SECONDS));
    }
  }
  return {
    farmers: { count: enough ? households.size : null, fewerThan5: !enough },
    womenShareBps: enough ? Math.round((women * 10_000) / households.size) : null,
    medianDaysToPayment: enough && days.length > 0 ? median(days) : null,
  };
}

/** The middle value (mean of the middle two), to a tenth of a day. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return Math.round(value * 10) / 10;
}

const flowLot = (lot: LotView): FlowLot => ({
  lotId: lot.lotId,
  genesis: lot.genesis,
  grams: lot.grams,
  createdAt: lot.created.at,
  members: [...new Set([lot.creator.memberId, lot.custodian.memberId])],
});

/** The lot (share 1) and its whole ancestry from the read model, each node with its parents. */
async function ancestryOf(tx: Queryable, lotId: bigint): Promise<FlowNode[]> {
  const parents = new Map<string, string[]>();
  const nodes: { lot: FlowLot; share: string }[] = [];
  let cursor: string | undefined;
  let root: LotView | null = null;
  do {
    const page = await getLotDag(tx, lotId, { direction: "ancestors", cursor, limit: 500 });
    if (!page) return [];
    root = page.root;
    for (const node of page.items) {
      nodes.push({ lot: flowLot(node.lot), share: node.downstreamShare });
      for (const edge of node.edges) parents.set(edge.childId, [...(parents.get(edge.childId) ?? []), edge.parentId]);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  const all = [{ lot: flowLot(root!), share: "1" }, ...nodes];
  return all.map(({ lot, share }) => ({ lot, downstreamShare: share, parentIds: [...new Set(parents.get(lot.lotId) ?? [])] }));
}

/**
 * The premium owed to each of `deliveryIds` (origin deliveries) by every commitment on a lot made
 * from them, per currency: the same flow as the page's figures, seen from the farm up. For the
 * farmer's own page. Keys `${lotId}|${currency}`.
 */
export async function premiumOwedToDeliveries(tx: Queryable, deliveryIds: readonly bigint[]): Promise<Map<string, bigint>> {
  const descendants = new Set<string>();
  for (const id of deliveryIds) {
    descendants.add(id.toString());
    let cursor: string | undefined;
    do {
      const page = await getLotDag(tx, id, { direction: "descendants", cursor, limit: 500 });
      if (!page) break;
      for (const node of page.items) descendants.add(node.lot.lotId);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  const owed = new Map<string, bigint>();
  const wanted = new Set(deliveryIds.map(String));
  for (const c of await getPremiumCommitments(tx, [...descendants])) {
    const flow = premiumFlow(
      [{ commitmentId: c.commitmentId, lotId: c.lotId, member: c.memberId, scheme: c.scheme, currency: c.currency, ratePerKg: BigInt(c.ratePerKg), grams: BigInt(c.grams), txHash: c.txHash, ancestry: await ancestryOf(tx, BigInt(c.lotId)) }],
      [],
    );
    for (const d of flow.deliveries) {
      if (!wanted.has(d.lotId)) continue;
      const key = `${d.lotId}|${d.currency}`;
      owed.set(key, (owed.get(key) ?? 0n) + d.owed);
    }
  }
  return owed;
}

/**
 * Of the payments published in `roots` for any of `deliveryIds`, the share (basis points) whose
 * latest passkey word among those committed on chain (in a batch of the payment's run whose root is
 * indexed) is "confirmed"; null when there is none. A passkey word not yet in a published batch
 * does not count, nor do agent-read codes and paper.
 */
export async function passkeyConfirmedShare(tx: Queryable, roots: readonly string[], deliveryIds: readonly string[]): Promise<number | null> {
  const { rows } = await tx.query<{ confirmed: string; total: string }>(
    `select count(*) filter (where latest.verdict = 'confirmed')::text as confirmed, count(*)::text as total from payments p
       left join lateral (select c.verdict from payment_confirmations c
                            join confirmation_batches b on b.batch_root = c.batch_root and b.run_root = p.payout_root
                           where c.payment_id = p.id and c.kind = 'passkey'
                           order by c.created_at desc, c.id desc limit 1) latest on true
      where p.payout_root = any($1::text[]) and p.delivery_lot_ids && $2::int8[]`,
    [roots, deliveryIds],
  );
  const total = Number(rows[0]!.total);
  return total === 0 ? null : Math.round((Number(rows[0]!.confirmed) * 10_000) / total);
}
