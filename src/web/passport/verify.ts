import { computeAttestationUid } from "../../attestations/attestationUid";
import { cidToDigest } from "../../evidence/chainDigest";
import { fetchEvidenceFromGateway } from "../../evidence/trustlessFetch";
import { computeHistoryHead, eventDigest, foldHead, ingredientsDigest, type Hex } from "../../lots/historyHead";
import { attestationRegistryInterface, lotRegistryInterface } from "../../chain/contracts";
import type { JsonRpc } from "../../chain/jsonRpc";
import { eventFromJson, lotStateFromEvents } from "./events";
import { memberProfileOf, type MemberProfile } from "./memberProfile";
import type { LotPassport, PassportAttestation, PassportAttestationStatus, PassportLot, VerificationMismatch } from "./types";

/**
 * The checks a lot passport stands on, shared by the page (at render time, against the gateway's
 * node) and `firstmile verify` (against any node): each lot's history head recomputed from the
 * events shown and compared with `LotRegistry.historyHeads` in one `eth_call`, and every
 * attestation's status compared with `AttestationRegistry.areValid` in one `eth_call`.
 */

/** A block tag for `eth_call`: a number or "latest". */
export type BlockTag = number | "latest";

const tag = (block: BlockTag) => (block === "latest" ? "latest" : `0x${block.toString(16)}`);

/** The chain's history heads of `lotIds` at `block`, in one `eth_call`. */
export async function chainHistoryHeads(rpc: JsonRpc, lotRegistry: string, lotIds: readonly string[], block: BlockTag): Promise<string[]> {
  if (lotIds.length === 0) return [];
  const data = lotRegistryInterface.encodeFunctionData("historyHeads", [lotIds.map(BigInt)]);
  const result = await rpc.call<string>("eth_call", [{ to: lotRegistry, data }, tag(block)]);
  const [heads] = lotRegistryInterface.decodeFunctionResult("historyHeads", result) as unknown as [string[]];
  return heads.map((head) => head.toLowerCase());
}

/** Whether each attestation is valid (exists, not revoked, not expired) at `block`, in one `eth_call`. */
export async function chainAttestationsValid(rpc: JsonRpc, attestationRegistry: string, uids: readonly string[], block: BlockTag): Promise<boolean[]> {
  if (uids.length === 0) return [];
  const data = attestationRegistryInterface.encodeFunctionData("areValid", [[...uids]]);
  const result = await rpc.call<string>("eth_call", [{ to: attestationRegistry, data }, tag(block)]);
  const [valid] = attestationRegistryInterface.decodeFunctionResult("areValid", result) as unknown as [boolean[]];
  return [...valid];
}

export type RecomputedLot = { lotId: string; head: Hex | null; mismatches: VerificationMismatch[] };

/**
 * Recomputes one lot's head from its events as shown, and checks each event's stated head (the
 * read model's) against the fold, so a changed field or a changed head column is named.
 */
export function recomputeLot(lot: PassportLot): RecomputedLot {
  const mismatches: VerificationMismatch[] = [];
  try {
    const events = lot.events.map((item) => eventFromJson(item.event));
    for (const event of events) {
      if (event.lotId.toString() !== lot.lotId) {
        mismatches.push({ kind: "events", lotId: lot.lotId, what: `lot ${lot.lotId}: an event listed under it is about lot ${event.lotId}` });
        return { lotId: lot.lotId, head: null, mismatches };
      }
    }
    const head = computeHistoryHead(events);
    const [genesis] = events;
    if (genesis?.kind === "derived") {
      // The ingredients shown are the ones the lot's head commits to (by their digest).
      const shown = ingredientsDigest((lot.ingredients ?? []).map((item) => ({ outputForm: item.outputForm, grams: BigInt(item.grams), name: item.name })));
      if (shown !== genesis.ingredients.toLowerCase()) {
        mismatches.push({ kind: "events", lotId: lot.lotId, what: `lot ${lot.lotId}: the ingredients shown hash to ${shown}, its derived event commits to ${genesis.ingredients}` });
      }
    }
    let folded = "0x".padEnd(66, "0");
    events.forEach((event, index) => {
      folded = foldHead(folded, eventDigest(event));
      const stated = lot.events[index]!.head.toLowerCase();
      if (stated !== folded && mismatches.length < 3) {
        mismatches.push({ kind: "events", lotId: lot.lotId, what: `lot ${lot.lotId}: event ${index} (${event.kind}) is listed with head ${stated}, its fields give ${folded}` });
      }
    });
    return { lotId: lot.lotId, head, mismatches };
  } catch (error) {
    mismatches.push({ kind: "events", lotId: lot.lotId, what: `lot ${lot.lotId}: its events do not form a history: ${(error as Error).message}` });
    return { lotId: lot.lotId, head: null, mismatches };
  }
}

/**
 * Whether an attestation's fields as shown (lot, certifier account, time, expiry, evidence, data
 * hash) are the ones its uid commits to (`AttestationRegistry.attestationUid`); null when they are.
 */
export function attestationFieldsProblem(attestation: PassportAttestation, originOf: (lotId: string) => string | null = () => null): string | null {
  if (attestation.subjectKind === "plot") {
    const origin = originOf(attestation.lotId);
    if (origin === null || origin.toLowerCase() !== attestation.subject.toLowerCase()) return `it is shown for the plot of delivery ${attestation.lotId}, but that delivery's origin is ${origin ?? "not shown"}, not ${attestation.subject}`;
  } else if (attestation.subject !== `0x${BigInt(attestation.lotId).toString(16).padStart(64, "0")}`) {
    return `it is shown for lot ${attestation.lotId} but is about subject ${attestation.subject}`;
  }
  if (attestation.attestedAt === null) return "its attestation time is unknown, so its uid cannot be recomputed";
  try {
    const uid = computeAttestationUid({
      scheme: attestation.scheme.id,
      subjectKind: attestation.subjectKind === "plot" ? "plot" : "lot",
      subject: attestation.subject,
      attester: attestation.certifier.account,
      time: BigInt(Math.floor(Date.parse(attestation.attestedAt) / 1000)),
      expiresAt: attestation.expiresAt === null ? 0n : BigInt(Math.floor(Date.parse(attestation.expiresAt) / 1000)),
      evidence: attestation.evidence,
      dataHash: attestation.dataHash,
    });
    return uid.toLowerCase() === attestation.uid.toLowerCase() ? null : `its fields as shown (scheme, certifier, times, evidence) hash to ${uid}, not to its uid`;
  } catch (error) {
    return `its fields cannot be hashed: ${(error as Error).message}`;
  }
}

/** How an attestation shown with `shown` compares with the chain's `valid`. */
export function attestationAgrees(shown: PassportAttestationStatus, chainValid: boolean): boolean {
  return (shown === "valid") === chainValid;
}

export type CheckPassportParameters = {
  rpc: JsonRpc;
  passport: Pick<LotPassport, "contracts" | "lots" | "attestations">;
  block: BlockTag;
};

export type PassportCheck = { lotsChecked: number; attestationsChecked: number; mismatches: VerificationMismatch[] };

/**
 * What a page's own data says without the chain: each lot's head recomputed from the events shown
 * (with the events' stated heads and the ingredients checked against the fold) and each
 * attestation's fields against its uid. Pure and the costliest part of a check (a hash per event),
 * so a kept page makes it once per build; a recheck at a later block, whose rows are unchanged,
 * reuses it and asks the chain only.
 */
export type LocalCheck = {
  /** Each lot's recomputed head, in the order of `passport.lots` (null: its events do not fold). */
  readonly heads: ReadonlyArray<{ lotId: string; head: Hex | null }>;
  /** What the events themselves get wrong (named before the chain's differences). */
  readonly events: readonly VerificationMismatch[];
  /** Attestations whose fields as shown are not the ones their uid commits to. */
  readonly fields: readonly VerificationMismatch[];
};

export function checkPassportLocally(passport: Pick<LotPassport, "lots" | "attestations">): LocalCheck {
  const recomputed = passport.lots.map(recomputeLot);
  const origins = new Map<string, string>();
  for (const lot of passport.lots) {
    const genesis = lot.events[0]?.event as { kind?: string; origin?: string } | undefined;
    if (genesis?.kind === "minted" && typeof genesis.origin === "string") origins.set(lot.lotId, genesis.origin);
  }
  const fields: VerificationMismatch[] = [];
  for (const attestation of passport.attestations) {
    const problem = attestationFieldsProblem(attestation, (lotId) => origins.get(lotId) ?? null);
    if (problem) fields.push({ kind: "attestation", uid: attestation.uid, shown: attestation.status, chainValid: false, problem: "fields", what: `attestation ${attestation.uid}: ${problem}` });
  }
  return { heads: recomputed.map(({ lotId, head }) => ({ lotId, head })), events: recomputed.flatMap((lot) => lot.mismatches), fields };
}

/**
 * The two chain checks: every lot's head (one `historyHeads` call) and every attestation's status
 * (one `areValid` call), at `block`, against what the page's data gives (`checkPassportLocally`).
 * Mismatches name the lot, the heads, the attestation.
 */
export async function checkPassportAgainstChain({ rpc, passport, block }: CheckPassportParameters): Promise<PassportCheck> {
  return checkPassportOnChain({ rpc, passport, block, local: checkPassportLocally(passport) });
}

/**
 * `checkPassportAgainstChain` with the local part already made: `local` must be
 * `checkPassportLocally` of this very `passport` (its lots and attestations unchanged since).
 */
export async function checkPassportOnChain({ rpc, passport, block, local }: CheckPassportParameters & { local: LocalCheck }): Promise<PassportCheck> {
  const mismatches: VerificationMismatch[] = [...local.events];
  const ids = passport.lots.map((lot) => lot.lotId);
  const { attestations } = passport;
  const registry = passport.contracts.AttestationRegistry;
  // Both calls at once: a recheck's wait is one round trip to the node, not two.
  const [heads, valid] = await Promise.all([
    chainHistoryHeads(rpc, passport.contracts.LotRegistry, ids, block),
    attestations.length > 0 && registry ? chainAttestationsValid(rpc, registry, attestations.map((a) => a.uid), block) : Promise.resolve([] as boolean[]),
  ]);
  local.heads.forEach((lot, index) => {
    const chain = heads[index]!;
    if (lot.head === null) return;
    if (lot.head !== chain) {
      mismatches.push({
        kind: "head",
        lotId: lot.lotId,
        computed: lot.head,
        chain,
        what: `lot ${lot.lotId}: the history head recomputed from the events shown is ${lot.head}, the chain's is ${chain}`,
      });
    }
  });
  mismatches.push(...local.fields);
  if (attestations.length > 0) {
    if (!registry) {
      mismatches.push({ kind: "chain", what: "attestations are shown but no AttestationRegistry address is given" });
    } else {
      attestations.forEach((attestation, index) => {
        const chainValid = valid[index]!;
        if (!attestationAgrees(attestation.status, chainValid)) {
          mismatches.push({
            kind: "attestation",
            uid: attestation.uid,
            shown: attestation.status,
            chainValid,
            problem: "status",
            what: `attestation ${attestation.uid} (${attestation.subjectKind === "plot" ? "plot of delivery" : "lot"} ${attestation.lotId}) is shown as ${attestation.status}, the chain says it is ${chainValid ? "valid" : "not valid"}`,
          });
        }
      });
    }
  }
  return { lotsChecked: ids.length, attestationsChecked: attestations.length, mismatches };
}

/**
 * Checks that what the twin states about the page's lot and its origin follows from its events
 * (the page shows these figures; the events are what the heads vouch for).
 */
export function checkStatedValues(passport: Pick<LotPassport, "lot" | "lots" | "origin">): VerificationMismatch[] {
  const mismatches: VerificationMismatch[] = [];
  const own = passport.lots.find((lot) => lot.lotId === passport.lot.lotId);
  if (!own) return [{ kind: "events", lotId: passport.lot.lotId, what: `lot ${passport.lot.lotId}: its own events are not listed` }];
  try {
    const state = lotStateFromEvents(own.events.map((item) => eventFromJson(item.event)));
    const stated = (field: string, shown: string, events: string) => {
      if (shown !== events) mismatches.push({ kind: "readModel", lotId: passport.lot.lotId, field, shown, events, what: `lot ${passport.lot.lotId}: ${field} is stated as ${shown}, its events say ${events}` });
    };
    stated("grams", passport.lot.grams, state.grams.toString());
    stated("form", String(passport.lot.form.id), String(state.form));
    stated("status", passport.lot.status, state.status);
    stated("quality", String(passport.lot.quality?.bps ?? 0), String(state.quality));
    const listed = new Set(passport.lots.map((lot) => lot.lotId));
    for (const lot of passport.lots) {
      const genesis = lot.events[0]?.event;
      if (genesis?.kind !== "derived") continue;
      const missing = genesis.inputIds.filter((id) => !listed.has(id));
      if (missing.length > 0) mismatches.push({ kind: "events", lotId: lot.lotId, what: `lot ${lot.lotId} was made from lot ${missing.slice(0, 5).join(", ")}, whose events are not listed` });
    }
    let deliveries = 0;
    let grams = 0n;
    for (const lot of passport.lots) {
      const genesis = lot.events[0]?.event;
      if (genesis?.kind === "minted") {
        deliveries += 1;
        grams += BigInt(genesis.grams);
      }
    }
    stated("origin deliveries", String(passport.origin.deliveries), String(deliveries));
    stated("origin grams", passport.origin.grams, grams.toString());
  } catch (error) {
    mismatches.push({ kind: "events", lotId: passport.lot.lotId, what: `lot ${passport.lot.lotId}: ${(error as Error).message}` });
  }
  return mismatches;
}

/** One line of an independent verification: what was checked and whether it held. */
export type VerifyFinding = { ok: boolean; what: string };

export type IndependentVerification = { ok: boolean; findings: VerifyFinding[]; block: number };

export type VerifyIndependentlyParameters = {
  passport: LotPassport;
  /** Any node of the network (not the gateway's). */
  rpc: JsonRpc;
  /** Where to fetch evidence (the gateway's trustless `/ipfs` endpoint, or any IPFS gateway). */
  evidenceGateway: string;
  /** Fetches and verifies evidence bytes against a CID (default: src/evidence/trustlessFetch). */
  fetchEvidence?: (gateway: string, cid: string) => Promise<Uint8Array>;
};

/**
 * Everything `firstmile verify` checks, trusting nothing the gateway says: the node's chain id
 * and contract code, each lot's head (recomputed from the events listed) and each attestation's
 * validity at the node's latest block, the stated figures against the events, members' names
 * against the metadata digests the chain holds for them, and every evidence file against its CID.
 */
export async function verifyPassportIndependently({ passport, rpc, evidenceGateway, fetchEvidence }: VerifyIndependentlyParameters): Promise<IndependentVerification> {
  const findings: VerifyFinding[] = [];
  const add = (ok: boolean, what: string) => findings.push({ ok, what });
  const block = Number(await rpc.call<string>("eth_blockNumber", []));

  const chainId = BigInt(await rpc.call<string>("eth_chainId", [])).toString();
  add(chainId === passport.chainId, chainId === passport.chainId ? `chain id ${chainId} matches` : `chain id: the page says ${passport.chainId}, the node is chain ${chainId}`);
  for (const [name, address] of Object.entries(passport.contracts)) {
    if (address === null) continue;
    const code = await rpc.call<string>("eth_getCode", [address, "latest"]);
    add(code !== "0x" && code.length > 2, code !== "0x" && code.length > 2 ? `${name} at ${address} has code` : `${name}: no contract at ${address} on this node`);
  }

  const check = await checkPassportAgainstChain({ rpc, passport, block });
  const heads = check.mismatches.filter((m) => m.kind === "head");
  if (heads.length > 0) {
    // Tell a stale page (the chain has newer events) from a wrong one.
    const thenHeads = await chainHistoryHeads(rpc, passport.contracts.LotRegistry, heads.map((m) => m.lotId), passport.verification.block.number).catch(() => [] as string[]);
    heads.forEach((m, index) => {
      if (m.kind === "head" && thenHeads[index] === m.computed) m.what += ` (it matched at block ${passport.verification.block.number}: the lot has newer events than the page)`;
    });
  }
  for (const m of check.mismatches) add(false, m.what);
  if (!check.mismatches.some((m) => m.kind === "head" || m.kind === "events")) add(true, `${check.lotsChecked} lot histories recomputed from the events listed match the chain's heads at block ${block}`);
  if (!check.mismatches.some((m) => m.kind === "attestation")) add(true, `${check.attestationsChecked} attestation statuses match the chain at block ${block}`);

  const stated = checkStatedValues(passport);
  for (const m of stated) add(false, m.what);
  if (stated.length === 0) add(true, `the lot's weight, form and status and the origin's ${passport.origin.deliveries} deliveries follow from the events`);

  // Members: the metadata digest (whose document gives the name) and the accounts named for them.
  for (const member of passport.members) {
    try {
      const result = lotRegistryInterface.decodeFunctionResult(
        "getMember",
        await rpc.call<string>("eth_call", [{ to: passport.contracts.LotRegistry, data: lotRegistryInterface.encodeFunctionData("getMember", [BigInt(member.memberId)]) }, "latest"]),
      );
      const onChain = { metadata: String(result[0].metadata).toLowerCase(), accounts: (result[1] as string[]).map((a) => a.toLowerCase()) };
      const named = Object.entries(passport.accounts).filter(([, id]) => id === member.memberId).map(([account]) => account);
      const foreign = named.filter((account) => !onChain.accounts.includes(account));
      if (foreign.length > 0) add(false, `member ${member.memberId}: accounts ${foreign.join(", ")} are not its accounts on chain`);
      const metadataEvidence = passport.evidence.find((e) => e.source.kind === "member" && e.source.memberId === member.memberId);
      if ((member.name !== null || member.kind !== null || member.region !== null) && (!metadataEvidence || metadataEvidence.digest !== onChain.metadata)) {
        add(false, `member ${member.memberId}: the name ${JSON.stringify(member.name)} (${member.kind ?? "no kind"}) comes from a document whose digest is not the member's metadata on chain (${onChain.metadata})`);
      }
    } catch (error) {
      add(false, `member ${member.memberId}: not readable on chain (${(error as Error).message})`);
    }
  }

  // Evidence: each file fetched and verified against its CID, and the CID's digest where the chain holds it.
  const fetcher = fetchEvidence ?? ((gateway: string, cid: string) => fetchEvidenceFromGateway(gateway, cid));
  for (const item of passport.evidence) {
    if (item.cid === null) continue;
    try {
      if (cidToDigest(item.cid).toLowerCase() !== item.digest.toLowerCase()) {
        add(false, `evidence ${item.cid}: its digest is not ${item.digest}`);
        continue;
      }
      const source = item.source;
      if (source.kind === "lot") {
        const lot = passport.lots.find((l) => l.lotId === source.lotId);
        const held = lot?.events.some((e) => e.event.kind === "evidence" && e.event.evidence.toLowerCase() === item.digest.toLowerCase());
        if (!held) add(false, `evidence ${item.cid}: lot ${source.lotId}'s events do not attach digest ${item.digest}`);
      } else if (source.kind === "attestation") {
        const attestation = passport.attestations.find((a) => a.uid === source.uid);
        if (!attestation || attestation.evidence.toLowerCase() !== item.digest.toLowerCase()) add(false, `evidence ${item.cid}: attestation ${source.uid} does not carry digest ${item.digest}`);
      }
      const bytes = await fetcher(evidenceGateway, item.cid);
      add(true, `evidence ${item.cid} (${bytes.length} bytes) matches its CID and the digest ${item.digest}`);
      if (source.kind === "member") {
        // The name, kind and place the page shows must be what the member's own document says.
        const member = passport.members.find((m) => m.memberId === source.memberId);
        let said: MemberProfile | null = null;
        try {
          said = memberProfileOf(JSON.parse(Buffer.from(bytes).toString("utf8")));
        } catch {
          said = null;
        }
        const shown = member ? { name: member.name, kind: member.kind, region: member.region ?? null } : null;
        if (shown && JSON.stringify(said) !== JSON.stringify(shown)) {
          add(false, `member ${source.memberId}: shown as ${JSON.stringify(shown)}, its metadata document says ${JSON.stringify(said)}`);
        }
      }
    } catch (error) {
      add(false, `evidence ${item.cid}: ${(error as Error).message}`);
    }
  }

  if (!passport.verification.ok) add(false, `the gateway itself reported ${passport.verification.mismatches.length} differences: ${passport.verification.mismatches.map((m) => m.what).slice(0, 5).join("; ")}`);
  return { ok: findings.every((f) => f.ok), findings, block };
}
