import type { Interface } from "ethers";
import { payoutRegistryInterface } from "../chain/contracts";
import type { JsonRpc } from "../chain/jsonRpc";
import type { ConfirmationsExport } from "./confirmationBatches";
import { checkConfirmationProof, paymentDigest } from "./confirmationProof";
import { confirmationRecordOf, sha256Hex, verifyConfirmationLeaf, type ConfirmationRecord } from "./confirmationTree";
import { leafOf, payoutLeafHash, verifyPayoutLeaf } from "./payoutTree";
import type { PremiumFinding } from "./verifyPremium";

/**
 * Re-checks farmers' confirmations a cooperative exported (`firstmile.confirmations.v1`) against
 * the chain, trusting nothing the gateway says: each batch's root, run and count as the payout
 * registry stores them; every record's Merkle proof under its batch root; the payment it names is
 * a leaf of the run (proof under the run's root, leaf hash as the record states); and for a
 * passkey, that the statement is the one the record's hash commits to, that it confirms the
 * payment's digest recomputed from the leaf, and that the phone's signature verifies for the
 * farmer's page origin. The weaker kinds carry no farmer's signature: their record's hash is
 * checked, and they are counted apart as the cooperative's word.
 */
export type VerifiedConfirmation = { runRoot: string; paymentLeaf: string; kind: ConfirmationRecord["kind"]; verdict: ConfirmationRecord["verdict"] };

export async function verifyConfirmations(
  registry: string,
  rpc: JsonRpc,
  exports: readonly ConfirmationsExport[],
  pageRuns: readonly string[] | null,
): Promise<{ findings: PremiumFinding[]; verified: VerifiedConfirmation[] }> {
  const verified: VerifiedConfirmation[] = [];
  const abi: Interface = payoutRegistryInterface;
  const call = async (name: string, args: unknown[]) => abi.decodeFunctionResult(name, await rpc.call<string>("eth_call", [{ to: registry, data: abi.encodeFunctionData(name, args) }, "latest"]));
  const findings: PremiumFinding[] = [];
  for (const exported of exports) {
    const runRoot = exported.runRoot.toLowerCase();
    if (pageRuns && !pageRuns.includes(runRoot)) findings.push({ ok: false, what: `confirmations of payout run ${runRoot} (given) — the run is not among the page's runs` });
    const [run] = (await call("payoutRun", [runRoot])) as unknown as [{ member: bigint }];
    if (run.member === 0n) {
      findings.push({ ok: false, what: `confirmations of payout run ${runRoot} — the run's root is not on chain` });
      continue;
    }
    for (const batch of exported.batches) {
      const [stored] = (await call("confirmationBatch", [batch.batchRoot])) as unknown as [{ member: bigint; count: bigint; runRoot: string }];
      const bound = stored.member !== 0n && stored.member === run.member && stored.runRoot.toLowerCase() === runRoot && Number(stored.count) === batch.confirmations.length;
      findings.push({
        ok: bound,
        what: `confirmation batch ${batch.batchRoot}: ${batch.confirmations.length} confirmations of run ${runRoot}${
          bound ? " on chain" : stored.member === 0n ? " — the batch's root is not on chain" : ` — the chain has ${stored.count} for run ${stored.runRoot} by member ${stored.member}`
        }`,
      });
      const kinds = { passkey: 0, "agent-code": 0, paper: 0 };
      const failures: string[] = [];
      for (const [index, confirmation] of batch.confirmations.entries()) {
        const problem = await confirmationProblem(batch.batchRoot, runRoot, exported.origin, confirmation);
        if (problem) failures.push(`#${index + 1} (payment ${confirmation.paymentId}): ${problem.reason}`);
        else {
          const record = confirmationRecordOf(confirmation.value)!;
          kinds[record.kind]++;
          // Only a record under a batch the chain binds to this run counts towards the page's share.
          if (bound) verified.push({ runRoot, paymentLeaf: record.paymentLeaf, kind: record.kind, verdict: record.verdict });
        }
      }
      const good = batch.confirmations.length - failures.length;
      findings.push({
        ok: failures.length === 0,
        what: `confirmation batch ${batch.batchRoot}: ${good} of ${batch.confirmations.length} confirmations prove to the root on chain (${kinds.passkey} passkey signatures verified for ${exported.origin}; ${kinds["agent-code"]} agent code and ${kinds.paper} paper, the cooperative's word)${
          failures.length > 0 ? ` — ${failures.length} changed or forged: ${failures.slice(0, 3).join("; ")}` : ""
        }`,
      });
    }
  }
  return { findings, verified };
}

/**
 * Re-checks the page's share of payments confirmed by passkey from the exports, when every run on
 * the page came with both its payout export and its confirmations export. A payment counts when
 * its farmer's latest passkey word is "confirmed"; the records carry no time, so the check is that
 * the page's share lies between the payments whose every verified passkey word is "confirmed" and
 * those with at least one: a share above that is not backed by signatures on chain.
 */
export function checkPasskeyShare(
  pageShareBps: number | null,
  paymentLeaves: readonly { runRoot: string; leafHash: string }[],
  verified: readonly VerifiedConfirmation[],
): PremiumFinding {
  if (pageShareBps === null || paymentLeaves.length === 0) return { ok: pageShareBps === null, what: `share confirmed by passkey: ${pageShareBps === null ? "not shown" : `${pageShareBps} bps, but no payments to count it over`}` };
  const counted = new Set(paymentLeaves.map((leaf) => `${leaf.runRoot}|${leaf.leafHash}`));
  const words = new Map<string, Set<string>>();
  for (const record of verified) {
    const key = `${record.runRoot}|${record.paymentLeaf}`;
    if (record.kind !== "passkey" || !counted.has(key)) continue;
    words.set(key, (words.get(key) ?? new Set()).add(record.verdict));
  }
  const only = [...words.values()].filter((set) => set.size === 1 && set.has("confirmed")).length;
  const any = [...words.values()].filter((set) => set.has("confirmed")).length;
  const bps = (n: number) => Math.round((n * 10_000) / counted.size);
  const ok = pageShareBps >= bps(only) && pageShareBps <= bps(any);
  return {
    ok,
    what: `share confirmed by passkey: ${pageShareBps} bps of ${counted.size} payments${
      ok ? ` is backed by the farmers' signatures under roots on chain (${bps(only)}-${bps(any)} bps)` : ` — the signatures under roots on chain back ${bps(only)}-${bps(any)} bps`
    }`,
  };
}

type Exported = ConfirmationsExport["batches"][number]["confirmations"][number];

/** Why one exported confirmation does not check, or null when it does. */
async function confirmationProblem(batchRoot: string, runRoot: string, origin: string, c: Exported): Promise<{ reason: string } | null> {
  const record: ConfirmationRecord | null = Array.isArray(c.value) ? confirmationRecordOf(c.value) : null;
  if (!record) return { reason: "not a confirmation record" };
  if (!verifyConfirmationLeaf(batchRoot, c.value, c.proof ?? [])) return { reason: "its record does not prove to the batch root" };
  if (!c.payment || !verifyPayoutLeaf(runRoot, c.payment.value, c.payment.proof)) return { reason: "its payment does not prove to the run's root" };
  if (payoutLeafHash(c.payment.value) !== record.paymentLeaf) return { reason: "the record names another payment leaf" };
  const leaf = leafOf(c.payment.value);
  const digest = paymentDigest({ paymentId: c.paymentId, pseudonym: leaf.pseudonym, deliveryLotIds: leaf.deliveryLotIds, currency: leaf.currency, net: leaf.amount, premium: leaf.premium, paidAt: new Date(leaf.paidAt * 1000) });
  if (record.kind === "passkey") {
    if (!c.passkey) return { reason: "a passkey record without the passkey's proof" };
    if (sha256Hex(c.passkey.statement) !== record.proofHash) return { reason: "the statement is not the one the record commits to" };
    const check = await checkConfirmationProof(c.passkey, { origin, expectedDigest: digest });
    if (!check.ok) return { reason: `the passkey's signature does not check: ${check.reason}` };
    if (check.verdict !== record.verdict) return { reason: `the farmer signed "${check.verdict}", the record says "${record.verdict}"` };
    return null;
  }
  if (typeof c.record !== "string" || sha256Hex(c.record) !== record.proofHash) return { reason: "the cooperative's record is not the one the leaf commits to" };
  let text: { payment?: unknown; kind?: unknown; verdict?: unknown };
  try {
    text = JSON.parse(c.record) as typeof text;
  } catch {
    return { reason: "the cooperative's record is not JSON" };
  }
  if (text.kind !== record.kind || text.verdict !== record.verdict || text.payment !== digest) return { reason: "the cooperative's record states another payment, kind or verdict" };
  return null;
}
