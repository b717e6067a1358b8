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
export async function verifyConfirmations(registry: string, rpc: JsonRpc, exports: readonly ConfirmationsExport[], pageRuns: readonly string[] | null): Promise<PremiumFinding[]> {
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
        else kinds[confirmationRecordOf(confirmation.value)!.kind]++;
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
  return findings;
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
