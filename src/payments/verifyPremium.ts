import { decodeBytes32String, type Interface } from "ethers";
import { payoutRegistryInterface } from "../chain/contracts";
import type { JsonRpc } from "../chain/jsonRpc";
import type { LotPassport } from "../web/passport/types";
import type { PayoutRunExport } from "./payoutRuns";
import { leafOf, verifyPayoutLeaf } from "./payoutTree";
import { householdFigures } from "./publicFigures";

export type PremiumFinding = { ok: boolean; what: string };

const ascii = (hex: string) => Buffer.from(hex.slice(2), "hex").toString("latin1");

/**
 * Re-checks a page's premium figures against the chain and the payout runs' exports an auditor
 * was given, trusting nothing the gateway says: each commitment as the payout registry stores
 * it; each run's root, count and totals as published; every exported leaf's Merkle proof under its
 * root (a changed payment fails here); the totals recomputed from the leaves; and, when every run
 * on the page was given, the households, the share of women and the median days recomputed from
 * the leaves, and the premium paid bounded by the leaves' premiums.
 */
export async function verifyPremiumFigures(passport: LotPassport, rpc: JsonRpc, runExports: readonly PayoutRunExport[]): Promise<PremiumFinding[]> {
  const premium = passport.premium;
  const findings: PremiumFinding[] = [];
  if (!premium) {
    if (runExports.length > 0) findings.push({ ok: false, what: "payout runs were given, but the page shows no premium" });
    return findings;
  }
  const registry = premium.payoutRegistry;
  if (!registry) return [{ ok: false, what: "the page names no payout registry to check its premium figures against" }];
  // Widened: the function is looked up by name.
  const abi: Interface = payoutRegistryInterface;
  const call = async (name: string, args: unknown[]) => abi.decodeFunctionResult(name, await rpc.call<string>("eth_call", [{ to: registry, data: abi.encodeFunctionData(name, args) }, "latest"]));

  for (const c of premium.commitments) {
    const [stored] = (await call("premiumCommitment", [c.commitmentId])) as unknown as [{ lotId: bigint; member: bigint; grams: bigint; ratePerKg: bigint; currency: string; scheme: string }];
    const same =
      stored.lotId.toString() === c.lotId &&
      stored.member.toString() === c.memberId &&
      stored.ratePerKg.toString() === c.ratePerKg &&
      ascii(stored.currency) === c.currency &&
      decodeBytes32String(stored.scheme) === c.scheme &&
      ((stored.ratePerKg * stored.grams) / 1000n).toString() === c.total;
    findings.push({ ok: same, what: `premium commitment ${c.commitmentId}: ${c.scheme} ${c.ratePerKg} ${c.currency} minor units per kg on lot ${c.lotId}, ${c.total} in all${same ? "" : " — the chain says otherwise"}` });
  }

  const byRoot = new Map(runExports.map((e) => [e.root.toLowerCase(), e]));
  const published = new Map<string, { count: number; totals: Map<string, bigint> }>();
  for (const run of premium.payoutRuns) {
    const [stored] = (await call("payoutRun", [run.root])) as unknown as [{ member: bigint; count: bigint }];
    const logs = await rpc.call<{ topics: string[]; data: string }[]>("eth_getLogs", [
      { address: registry, fromBlock: "0x0", toBlock: "latest", topics: [payoutRegistryInterface.getEvent("PayoutRunPublished")!.topicHash, run.root] },
    ]);
    const event = logs[0] ? payoutRegistryInterface.parseLog(logs[0]) : null;
    const totals = new Map<string, bigint>();
    if (event) (event.args.currencies as string[]).forEach((code, i) => totals.set(ascii(code), (event.args.totals as bigint[])[i]!));
    published.set(run.root.toLowerCase(), { count: Number(stored.count), totals });
    const ok = stored.member.toString() === run.memberId && Number(stored.count) === run.count && event !== null;
    findings.push({ ok, what: `payout run ${run.root}: ${run.count} payments by member ${run.memberId}${ok ? " on chain" : " — not as the chain has it"}` });
  }

  const origins = new Map<string, string | null>();
  for (const lot of passport.lots) {
    const first = lot.events[0];
    if (first?.event.kind === "minted") origins.set(lot.lotId, first.blockTime);
  }
  const leaves: ReturnType<typeof leafOf>[] = [];
  for (const exported of runExports) {
    const root = exported.root.toLowerCase();
    const onChain = published.get(root);
    if (!onChain) {
      findings.push({ ok: false, what: `payout run ${root} (given) is not among the page's runs` });
      continue;
    }
    const bad = exported.leaves.filter((leaf) => !verifyPayoutLeaf(root, leaf.value, leaf.proof)).length;
    findings.push({ ok: bad === 0, what: `payout run ${root}: ${exported.leaves.length - bad} of ${exported.leaves.length} payments prove to the root on chain${bad > 0 ? ` — ${bad} changed or forged` : ""}` });
    const sums = new Map<string, bigint>();
    for (const { value } of exported.leaves) {
      const leaf = leafOf(value);
      sums.set(leaf.currency, (sums.get(leaf.currency) ?? 0n) + leaf.amount);
      if (verifyPayoutLeaf(root, value, exported.leaves.find((l) => l.value === value)!.proof)) leaves.push(leaf);
    }
    const totalsOk = exported.leaves.length === onChain.count && sums.size === onChain.totals.size && [...sums].every(([code, sum]) => onChain.totals.get(code) === sum);
    findings.push({ ok: totalsOk, what: `payout run ${root}: count and totals recomputed from the payments ${totalsOk ? "match" : "do not match"} those published on chain` });
  }

  if (premium.payoutRuns.length > 0 && premium.payoutRuns.every((run) => byRoot.has(run.root.toLowerCase()))) {
    const relevant = leaves
      .map((leaf) => ({ ...leaf, deliveryLotIds: leaf.deliveryLotIds.map(String) }))
      .filter((leaf) => leaf.deliveryLotIds.some((id) => origins.has(id)));
    const people = householdFigures(relevant, (id) => origins.get(id) ?? null);
    const sameFarmers = JSON.stringify(people.farmers) === JSON.stringify(premium.farmers) && people.womenShareBps === premium.womenShareBps;
    findings.push({ ok: sameFarmers, what: `farmers paid: ${premium.farmers.fewerThan5 ? "fewer than 5" : premium.farmers.count}, women ${premium.womenShareBps ?? "-"} bps${sameFarmers ? "" : ` — the payments say ${people.farmers.count ?? "fewer than 5"}, ${people.womenShareBps ?? "-"} bps`}` });
    const days = people.medianDaysToPayment === null || premium.medianDaysToPayment === null ? people.medianDaysToPayment === premium.medianDaysToPayment : Math.abs(people.medianDaysToPayment - premium.medianDaysToPayment) <= 0.1;
    findings.push({ ok: days, what: `median days from delivery to payment: ${premium.medianDaysToPayment ?? "-"}${days ? "" : ` — the payments say ${people.medianDaysToPayment}`}` });
    for (const total of premium.totals) {
      const leafPremium = relevant.filter((leaf) => leaf.currency === total.currency).reduce((sum, leaf) => sum + leaf.premium, 0n);
      const ok = BigInt(total.paid) <= leafPremium && BigInt(total.paid) <= BigInt(total.owed);
      findings.push({ ok, what: `premium paid ${total.paid} ${total.currency} of ${total.owed} owed${ok ? " is covered by the payments' premiums" : ` — the payments hold only ${leafPremium}`}` });
    }
  } else if (premium.payoutRuns.length > 0) {
    findings.push({ ok: true, what: `farmer figures not recomputed: give every run's export (--payouts) to check them` });
  }
  return findings;
}
