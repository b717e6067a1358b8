import type { Writable } from "node:stream";
import type { Command } from "commander";
import fs from "node:fs";
import { jsonRpcClient } from "../../chain/jsonRpc";
import { fetchPastLimits } from "../../http/fetchPastLimits";
import type { ConfirmationsExport } from "../../payments/confirmationBatches";
import type { PayoutRunExport } from "../../payments/payoutRuns";
import { checkPasskeyShare, verifyConfirmations } from "../../payments/verifyConfirmations";
import { leafOf, payoutLeafHash, verifyPayoutLeaf } from "../../payments/payoutTree";
import { verifyPremiumFigures } from "../../payments/verifyPremium";
import type { LotPassport } from "../../web/passport/types";
import { verifyPassportIndependently } from "../../web/passport/verify";

/** What the command reads and writes; the real process by default, a test's buffers otherwise. */
export type VerifyCommandIo = {
  stdout: Writable;
  stderr: Writable;
  /** Where the exit code goes (default: `process.exitCode`). */
  setExitCode: (code: number) => void;
};

export type VerifyOptions = { rpc?: string; gateway?: string; payouts?: string[]; confirmations?: string[] };

/** Exit codes: everything matches, something differs, the input was unusable. */
export const VERIFY_EXIT = { verified: 0, mismatch: 1, badInput: 2 } as const;

/**
 * `firstmile verify <url-or-lot-id> --rpc <url> [--gateway <url>]`: fetches a lot page's JSON
 * twin and re-checks it against a JSON-RPC node of the user's choosing, trusting nothing the
 * gateway says. Exit 0 only when everything matches; 1 naming each difference; 2 on bad input.
 */
export function registerVerifyCommand(
  program: Command,
  io: VerifyCommandIo = { stdout: process.stdout, stderr: process.stderr, setExitCode: (code) => (process.exitCode = code) },
): void {
  program
    .command("verify <target>")
    .description("re-check a lot page (URL, or lot id with --gateway) against any JSON-RPC node: history heads, attestations, evidence, premium figures, payout runs and farmers' confirmations")
    .option("--rpc <url>", "JSON-RPC URL of a node of the network (required)")
    .option("--gateway <url>", "gateway base URL (needed with a lot id; default: the page URL's origin)")
    .option("--payouts <file>", "a payout run's export (leaves and proofs, from the cooperative); repeat for each run", (file: string, files: string[] = []) => [...files, file])
    .option(
      "--confirmations <file>",
      "a payout run's confirmations export (records, proofs, passkey signatures, from the cooperative); repeat for each run",
      (file: string, files: string[] = []) => [...files, file],
    )
    // A bad flag or a missing argument is bad input: exit 2, as for a bad URL.
    .exitOverride((error) => {
      if (error.exitCode !== 0) {
        io.setExitCode(VERIFY_EXIT.badInput);
        error.exitCode = VERIFY_EXIT.badInput;
      }
      throw error;
    })
    .action(async (target: string, options: VerifyOptions) => {
      io.setExitCode(await runVerify(target, options, io));
    });
}

export async function runVerify(target: string, options: VerifyOptions, io: Pick<VerifyCommandIo, "stdout" | "stderr">): Promise<number> {
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const fail = (line: string) => {
    io.stderr.write(`firstmile verify: ${line}\n`);
    return VERIFY_EXIT.badInput;
  };
  if (!options.rpc) return fail("--rpc <url> is required: the JSON-RPC node to check against (any node of the network, not the gateway's word)");
  if (!isHttpUrl(options.rpc)) return fail(`--rpc ${JSON.stringify(options.rpc)} is not an http(s) URL`);
  if (options.gateway !== undefined && !isHttpUrl(options.gateway)) return fail(`--gateway ${JSON.stringify(options.gateway)} is not an http(s) URL`);

  let pageUrl: URL;
  if (/^[1-9]\d{0,18}$/.test(target)) {
    if (!options.gateway) return fail(`a lot id needs --gateway <url> (where the lot's page is); or pass the page URL`);
    pageUrl = new URL(`l/${target}`, options.gateway.endsWith("/") ? options.gateway : `${options.gateway}/`);
  } else if (isHttpUrl(target)) {
    pageUrl = new URL(target);
  } else {
    return fail(`${JSON.stringify(target)} is neither a lot id nor an http(s) URL of a lot page`);
  }
  const runExports: PayoutRunExport[] = [];
  for (const file of options.payouts ?? []) {
    try {
      const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as PayoutRunExport;
      if (parsed?.format !== "firstmile.payout-run.v1" || !Array.isArray(parsed.leaves)) return fail(`${file} is not a payout run export (firstmile.payout-run.v1)`);
      runExports.push(parsed);
    } catch (error) {
      return fail(`cannot read ${file}: ${(error as Error).message}`);
    }
  }
  const confirmationExports: ConfirmationsExport[] = [];
  for (const file of options.confirmations ?? []) {
    try {
      const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as ConfirmationsExport;
      if (parsed?.format !== "firstmile.confirmations.v1" || !Array.isArray(parsed.batches) || typeof parsed.origin !== "string") return fail(`${file} is not a confirmations export (firstmile.confirmations.v1)`);
      confirmationExports.push(parsed);
    } catch (error) {
      return fail(`cannot read ${file}: ${(error as Error).message}`);
    }
  }
  pageUrl.searchParams.delete("lang");
  pageUrl.searchParams.set("format", "json");
  const evidenceGateway = options.gateway ?? pageUrl.origin;

  let passport: LotPassport;
  try {
    // The gateway limits its public pages per address: a 429 is waited out as it says, three times at most.
    const response = await fetchPastLimits(pageUrl, { headers: { accept: "application/json" } }, {
      rateLimitRetries: 3,
      connectionRetries: 0,
      timeoutMs: 60_000,
      onWait: (seconds) => io.stderr.write(`firstmile verify: ${pageUrl.origin} limits requests from this address; asking again in ${seconds} s\n`),
    });
    const text = await response.text();
    if (!response.ok) return fail(`${pageUrl} answered ${response.status}: ${text.slice(0, 200)}`);
    passport = JSON.parse(text) as LotPassport;
    if (passport?.format !== "firstmile.passport.v1" || !Array.isArray(passport.lots)) return fail(`${pageUrl} is not a firstmile lot passport`);
  } catch (error) {
    return fail(`cannot read ${pageUrl}: ${(error as Error).message}`);
  }

  out(`lot ${passport.lot.lotId}: ${passport.lots.length} lots, ${passport.attestations.length} attestations, ${passport.evidence.length} evidence files, from ${pageUrl.origin}`);
  let result;
  try {
    result = await verifyPassportIndependently({ passport, rpc: jsonRpcClient(options.rpc), evidenceGateway });
  } catch (error) {
    return fail(`cannot check against ${options.rpc}: ${(error as Error).message}`);
  }
  let premium;
  try {
    premium = await verifyPremiumFigures(passport, jsonRpcClient(options.rpc), runExports);
    if (confirmationExports.length > 0) {
      const registry = passport.premium?.payoutRegistry;
      if (!registry) premium.push({ ok: false, what: "confirmations were given, but the page names no payout registry to check them against" });
      else {
        const pageRuns = passport.premium!.payoutRuns.map((run) => run.root.toLowerCase());
        const checked = await verifyConfirmations(registry, jsonRpcClient(options.rpc), confirmationExports, pageRuns);
        premium.push(...checked.findings);
        // The page's passkey share, when every run came with both its exports.
        const given = (exports: readonly { runRoot?: string; root?: string }[]) => new Set(exports.map((e) => (e.runRoot ?? e.root ?? "").toLowerCase()));
        const runsGiven = given(runExports);
        const confirmationsGiven = given(confirmationExports);
        if (pageRuns.length > 0 && pageRuns.every((root) => runsGiven.has(root) && confirmationsGiven.has(root))) {
          premium.push(checkPasskeyShare(passport.premium!.confirmedByPasskeyBps, originPaymentLeaves(passport, runExports), checked.verified));
        }
      }
    }
  } catch (error) {
    return fail(`cannot check the premium figures against ${options.rpc}: ${(error as Error).message}`);
  }
  const findings = [...result.findings, ...premium];
  for (const finding of findings) out(`${finding.ok ? "ok  " : "FAIL"} ${finding.what}`);
  const failures = findings.filter((f) => !f.ok).length;
  const ok = result.ok && failures === 0;
  out(ok ? `VERIFIED: lot ${passport.lot.lotId} matches the chain at block ${result.block}` : `MISMATCH: ${failures} difference${failures === 1 ? "" : "s"} for lot ${passport.lot.lotId} (block ${result.block})`);
  return ok ? VERIFY_EXIT.verified : VERIFY_EXIT.mismatch;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** The payments the page's figures count: the proven leaves of the given runs that paid for one of the page's origin deliveries. */
function originPaymentLeaves(passport: LotPassport, runExports: readonly PayoutRunExport[]): { runRoot: string; leafHash: string }[] {
  const origins = new Set(passport.lots.filter((lot) => lot.events[0]?.event.kind === "minted").map((lot) => lot.lotId));
  return runExports.flatMap((run) =>
    run.leaves
      .filter((leaf) => verifyPayoutLeaf(run.root, leaf.value, leaf.proof) && leafOf(leaf.value).deliveryLotIds.some((id) => origins.has(id.toString())))
      .map((leaf) => ({ runRoot: run.root.toLowerCase(), leafHash: payoutLeafHash(leaf.value) })),
  );
}

