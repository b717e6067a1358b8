/**
 * How a buyer's premium commitment flows down a lot's ancestry by mass to the origin deliveries,
 * and how much of it reached the farmers by the payout runs' leaves. Pure: the SQL that feeds it
 * lives in publicFigures.ts.
 *
 * - A commitment on lot A owes `ratePerKg x grams / 1000` minor units in all; each origin delivery
 *   D of A is owed that total times the share of A that came from D (the read model's
 *   `downstreamShare`, summed over every path through splits, merges and transforms with their
 *   yields).
 * - A payout leaf's premium is spread over the deliveries it names by their grams; a delivery's
 *   premium paid counts up to what it is owed (a certification premium paid on top does not make
 *   up for another delivery's missing one).
 * - An intermediary is every member that created or held a lot between the origins and A (A's
 *   buyer excluded): it "received" the premium owed on the deliveries that went through its lots
 *   and "passed on" what of that reached their farmers.
 */

/** 12 decimal digits: the precision of the read model's shares. */
const SCALE = 10n ** 12n;

export type FlowLot = {
  lotId: string;
  genesis: "minted" | "split" | "merged" | "transformed";
  grams: string;
  /** ISO time the lot was created (a delivery: weighed in), or null. */
  createdAt: string | null;
  /** Member ids that created or held the lot. */
  members: readonly string[];
};

/** One lot of A's ancestry: its share of A (decimal text, up to 12 digits) and its parents in the DAG. */
export type FlowNode = { lot: FlowLot; downstreamShare: string; parentIds: readonly string[] };

export type FlowCommitment = {
  commitmentId: string;
  lotId: string;
  member: string;
  scheme: string;
  currency: string;
  ratePerKg: bigint;
  grams: bigint;
  txHash: string;
  /** A itself (share "1") and every lot of its ancestry, each with its parents. */
  ancestry: readonly FlowNode[];
};

/** What a published payout leaf says (amounts in its currency's minor units). */
export type FlowLeaf = { pseudonym: string; deliveryLotIds: readonly string[]; currency: string; amount: bigint; premium: bigint; paidAt: number; gender: string; root: string };

export type DeliveryPremium = { lotId: string; currency: string; owed: bigint; paid: bigint };
export type IntermediaryPremium = { memberId: string; currency: string; received: bigint; passedOn: bigint };

export type PremiumFlow = {
  deliveries: DeliveryPremium[];
  intermediaries: IntermediaryPremium[];
  /** Origin deliveries by id (for weigh-in times). */
  origins: Map<string, FlowLot>;
};

/** `decimal` (e.g. "0.25") as a fraction of SCALE. */
export function shareScaled(decimal: string): bigint {
  const [whole = "0", fraction = ""] = decimal.split(".");
  return BigInt(whole) * SCALE + BigInt((fraction + "0".repeat(12)).slice(0, 12) || "0");
}

/**
 * Splits `total` minor units by shares (fractions of SCALE) with the largest-remainder rule
 * (Hamilton's method), so the parts add up exactly: each part is first rounded down, then the
 * units left over go one each to the parts with the largest remainders (ties: the smaller key by
 * number, then by text). What is split is the total times the sum of the shares, rounded half up:
 * the whole total when the shares make up the lot (their sum is 1 to 12 digits).
 */
export function apportion(total: bigint, parts: readonly { key: string; share: bigint }[]): Map<string, bigint> {
  const shareSum = parts.reduce((sum, part) => sum + part.share, 0n);
  const target = (total * shareSum * 2n + SCALE) / (2n * SCALE);
  const rows = parts.map((part) => ({ key: part.key, floor: (total * part.share) / SCALE, remainder: (total * part.share) % SCALE }));
  let left = target - rows.reduce((sum, row) => sum + row.floor, 0n);
  const byRemainder = [...rows].sort((a, b) => (a.remainder === b.remainder ? compareKeys(a.key, b.key) : a.remainder > b.remainder ? -1 : 1));
  for (const row of byRemainder) {
    if (left <= 0n) break;
    row.floor += 1n;
    left -= 1n;
  }
  const answer = new Map<string, bigint>();
  for (const row of rows) answer.set(row.key, (answer.get(row.key) ?? 0n) + row.floor);
  return answer;
}

function compareKeys(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The commitment's whole premium, minor units (grams rounded down to whole minor units). */
export const commitmentTotal = (c: Pick<FlowCommitment, "ratePerKg" | "grams">): bigint => (c.ratePerKg * c.grams) / 1000n;

export function premiumFlow(commitments: readonly FlowCommitment[], leaves: readonly FlowLeaf[]): PremiumFlow {
  const owed = new Map<string, bigint>(); // `${lot}|${currency}`
  const origins = new Map<string, FlowLot>();
  const throughMember = new Map<string, Set<string>>(); // `${member}|${currency}` -> origin lots
  for (const commitment of commitments) {
    const total = commitmentTotal(commitment);
    const nodes = commitment.ancestry;
    const byId = new Map(nodes.map((node) => [node.lot.lotId, node]));
    const originNodes = nodes.filter((node) => node.lot.genesis === "minted");
    const parts = apportion(total, originNodes.map((node) => ({ key: node.lot.lotId, share: shareScaled(node.downstreamShare) })));
    for (const node of originNodes) {
      origins.set(node.lot.lotId, node.lot);
      const key = `${node.lot.lotId}|${commitment.currency}`;
      owed.set(key, (owed.get(key) ?? 0n) + parts.get(node.lot.lotId)!);
    }
    // Which origins each lot of the DAG came from, memoised over the parents.
    const originsOf = new Map<string, Set<string>>();
    const walk = (lotId: string, seen: Set<string>): Set<string> => {
      const known = originsOf.get(lotId);
      if (known) return known;
      const node = byId.get(lotId);
      const found = new Set<string>();
      if (node?.lot.genesis === "minted") found.add(lotId);
      else if (node && !seen.has(lotId)) {
        seen.add(lotId);
        for (const parent of node.parentIds) for (const origin of walk(parent, seen)) found.add(origin);
      }
      originsOf.set(lotId, found);
      return found;
    };
    for (const node of byId.values()) {
      for (const member of node.lot.members) {
        if (member === commitment.member) continue;
        const key = `${member}|${commitment.currency}`;
        const set = throughMember.get(key) ?? new Set<string>();
        for (const origin of walk(node.lot.lotId, new Set())) set.add(origin);
        throughMember.set(key, set);
      }
    }
  }

  // Premium paid per delivery and currency: each leaf's premium spread over its deliveries by grams.
  const paid = new Map<string, bigint>();
  for (const leaf of leaves) {
    const grams = leaf.deliveryLotIds.map((id) => BigInt(origins.get(id)?.grams ?? "0"));
    const sum = grams.reduce((a, b) => a + b, 0n);
    leaf.deliveryLotIds.forEach((id, i) => {
      if (!origins.has(id)) return;
      const share = sum === 0n ? leaf.premium / BigInt(leaf.deliveryLotIds.length) : (leaf.premium * grams[i]!) / sum;
      const key = `${id}|${leaf.currency}`;
      paid.set(key, (paid.get(key) ?? 0n) + share);
    });
  }

  const deliveries: DeliveryPremium[] = [...owed.entries()]
    .map(([key, amount]) => {
      const [lotId, currency] = key.split("|") as [string, string];
      const got = paid.get(key) ?? 0n;
      return { lotId, currency, owed: amount, paid: got < amount ? got : amount };
    })
    .sort((a, b) => (BigInt(a.lotId) < BigInt(b.lotId) ? -1 : BigInt(a.lotId) > BigInt(b.lotId) ? 1 : a.currency.localeCompare(b.currency)));
  const byKey = new Map(deliveries.map((d) => [`${d.lotId}|${d.currency}`, d]));
  const intermediaries: IntermediaryPremium[] = [...throughMember.entries()]
    .map(([key, lots]) => {
      const [memberId, currency] = key.split("|") as [string, string];
      let received = 0n;
      let passedOn = 0n;
      for (const lot of lots) {
        const delivery = byKey.get(`${lot}|${currency}`);
        received += delivery?.owed ?? 0n;
        passedOn += delivery?.paid ?? 0n;
      }
      return { memberId, currency, received, passedOn };
    })
    .filter((row) => row.received > 0n)
    .sort((a, b) => Number(BigInt(a.memberId) - BigInt(b.memberId)) || a.currency.localeCompare(b.currency));
  return { deliveries, intermediaries, origins };
}
