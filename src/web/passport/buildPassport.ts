import type { Database, Queryable } from "../../db";
import { NonRetryableError } from "../../errors/base";
import { resolveDigest, type EvidenceStore } from "../../evidence";
import {
  getDdsReferences,
  getEventsOfLots,
  getIngredientsOfLots,
  getLotAttestations,
  getLotCarriedClaims,
  getLots,
  getMemberSummaries,
  getOriginClaimCounts,
  getPlotAttestations,
  membersOfAccounts,
  readModelSnapshot,
  type AttestationView,
} from "../../indexer/queries";
import { formById } from "../../lots/forms";
import { ingredientNameText } from "../../lots/ingredients";
import { summariseOrigins } from "../../origins";
import { publicHouseholdCount } from "../../privacy/householdThreshold";
import { productsOfLot, type Product } from "../../products";
import type { JsonRpc } from "../../chain/jsonRpc";
import type { PremiumFigures } from "../../payments/publicFigures";
import { eventFromJson, eventJsonFromRow, lotStateFromEvents } from "./events";
import { memberProfileOf, type MemberProfile } from "./memberProfile";
import type { LotPassport, PassportEvent, PassportEvidence, PassportLot, PassportMember, VerificationMismatch } from "./types";
import { checkPassportLocally, checkPassportOnChain, checkStatedValues, type BlockTag, type LocalCheck } from "./verify";
import { dependenciesOf, dependencyDigest, nextChangeOf } from "./dependencies";

/** The ancestry has more lots than one page may check. */
export class PassportTooLargeError extends NonRetryableError {
  override name = "PassportTooLargeError";
}

/** Most lots (the lot and its ancestors) one page reads and checks. */
export const MAX_PASSPORT_LOTS = 20_000;
/** Most evidence items and members a page lists. */
const MAX_EVIDENCE = 40;
const MAX_MEMBERS = 60;
/** Most attestations about origin plots one page reads and checks. */
const MAX_PLOT_ATTESTATIONS = 2_000;
const ZERO32 = `0x${"0".repeat(64)}`;

export type PassportSources = {
  db: Database;
  evidence: EvidenceStore;
  /** The gateway's node. */
  rpc: JsonRpc;
  chainId: bigint;
  contracts: { LotRegistry: string; AttestationRegistry: string | null };
  /**
   * The premium figures of a lot's ancestry (lot ids), read in the page's snapshot: the gateway
   * passes the payments module's reader, which opens the payout runs it holds. None: no figures.
   */
  premium?: ((tx: Queryable, lotIds: readonly string[]) => Promise<PremiumFigures | null>) | undefined;
  /** Names and kinds from members' metadata documents, by digest (immutable content, so kept). */
  nameCache?: Map<string, MemberProfile>;
};

/**
 * Everything the public page shows about a lot, read from the read model in one snapshot (with
 * the indexer's checkpoint, so the chain is asked at the block the data reflects), then checked:
 * heads recomputed from the events and compared with the chain, attestation statuses compared
 * with the chain, the read model's lot rows compared with the events. Null for an unknown lot.
 */
export async function buildPassport(sources: PassportSources, lotId: bigint, product: Product | null = null): Promise<LotPassport | null> {
  return (await buildPassportWithDigest(sources, lotId, product))?.passport ?? null;
}

/** A built page, what it was made from and what its data gives without the chain. */
export type KeptPassport = {
  passport: LotPassport;
  /** `dependencyDigest` of the rows the page was made from, in the build's snapshot. */
  digest: string;
  /** `checkPassportLocally` of the page (made once per build; a recheck reuses it). */
  local: LocalCheck;
  /** Milliseconds the local check took. */
  localCheckMs: number;
};

/**
 * `buildPassport`, and the digest of the rows the page was made from (`dependencyDigest`), read
 * in the same snapshot: while the read model's rows give the same digest, the page is the same
 * and only its chain check needs to be made again (`recheckPassport`).
 */
export async function buildPassportWithDigest(sources: PassportSources, lotId: bigint, product: Product | null = null): Promise<KeptPassport | null> {
  const { db, rpc } = sources;
  const snapshot = await readModelSnapshot(db, async (tx, indexedBlock) => {
    const block: BlockTag = indexedBlock ?? "latest";
    const blockInfo = await rpc.call<{ number: string; timestamp: string } | null>("eth_getBlockByNumber", [block === "latest" ? "latest" : `0x${block.toString(16)}`, false]);
    const blockNumber = blockInfo ? Number(blockInfo.number) : 0;
    const blockTime = blockInfo ? new Date(Number(blockInfo.timestamp) * 1000) : new Date();
    const lots = await walkAncestry(tx, lotId);
    if (!lots) return null;
    const readModel = await compareReadModel(tx, lots);
    const states = new Map(lots.map((lot) => [lot.lotId, lotStateFromEvents(lot.events.map((e) => eventFromJson(e.event)))]));
    const minted = lots.filter((lot) => lot.events[0]!.event.kind === "minted");
    const origins = await summariseOrigins(
      tx,
      minted.map((lot) => states.get(lot.lotId)!.origin!),
    );
    const attestationsView = await getLotAttestations(tx, lotId, { now: blockTime, limit: 500 });
    const claims = await getLotCarriedClaims(tx, lotId, blockTime);
    const listed = new Set(lots.map((lot) => lot.lotId));
    const lotAttestations = (attestationsView?.items ?? []).filter((item) => listed.has(item.lotId)).map((item) => ({ ...item, subjectKind: "lot" as const }));
    const plotAttestations = await originPlotAttestations(tx, minted.map((lot) => ({ lotId: lot.lotId, origin: states.get(lot.lotId)!.origin! })), blockTime);
    const attestations = [...lotAttestations, ...plotAttestations];
    const addresses = new Set<string>();
    for (const lot of lots) {
      for (const { event } of lot.events) {
        for (const key of ["custodian", "previousCustodian", "receiver", "by"] as const) {
          const value = (event as Record<string, unknown>)[key];
          if (typeof value === "string") addresses.add(value.toLowerCase());
        }
      }
    }
    for (const attestation of attestations) addresses.add(attestation.attester.account.toLowerCase());
    const accounts = Object.fromEntries(await membersOfAccounts(tx, [...addresses]));
    const memberIds = [...new Set(Object.values(accounts))].slice(0, MAX_MEMBERS);
    const memberRows = await getMemberSummaries(tx, memberIds);
    const products = product ? [product] : await productsOfLot(tx, lotId);
    const premium = sources.premium ? await sources.premium(tx, lots.map((lot) => lot.lotId)) : null;
    const origin = (lot: PassportLot) => (lot.events[0]!.event as { origin?: string }).origin ?? "";
    const digest = await dependencyDigest(tx, {
      lotIds: lots.map((lot) => lot.lotId),
      origins: [...new Set(minted.flatMap((lot) => [origin(lot), origin(lot).toLowerCase()]))],
      accounts: Object.keys(accounts),
      memberIds: memberRows.map((row) => row.memberId),
    });
    // EU due diligence statements filed against the lot or what it was made from (the reference
    // only: the verification number is for the statement's readers in the EU information system).
    const statements = await getDdsReferences(tx, lots.map((lot) => lot.lotId));
    // Claims deliveries carried from their plots: the page says so when this lot lost one.
    const originClaims = await getOriginClaimCounts(tx, minted.map((lot) => lot.lotId));
    return { premium, statements, originClaims, block: { number: blockNumber, tag: block, time: blockTime }, lots, readModel, states, minted, origins, attestations, claims, accounts, memberRows, product: products[0] ?? null, digest };
  });
  if (!snapshot) return null;

  const { lots, states, minted, origins, accounts } = snapshot;
  const profiles = sources.nameCache ?? new Map<string, MemberProfile>();
  const evidence: PassportEvidence[] = [];
  const members: PassportMember[] = [];
  for (const row of snapshot.memberRows) {
    const { name, kind, region } = await memberProfile(sources.evidence, row.metadata, profiles);
    members.push({ memberId: row.memberId, name, kind, region, roles: row.roles, country: row.country });
    if (name !== null || kind !== null || region !== null) evidence.push(await evidenceItem(sources.evidence, row.metadata, { kind: "member", memberId: row.memberId }));
  }
  members.sort((a, b) => Number(BigInt(a.memberId) - BigInt(b.memberId)));
  for (const lot of lots) {
    for (const { event } of lot.events) {
      if (event.kind === "evidence" && evidence.length < MAX_EVIDENCE) evidence.push(await evidenceItem(sources.evidence, event.evidence, { kind: "lot", lotId: lot.lotId }));
    }
  }
  // One audit report often backs many attestations: list each document once.
  const listedDigests = new Set(evidence.map((item) => item.digest.toLowerCase()));
  for (const attestation of snapshot.attestations) {
    if (attestation.evidence === ZERO32 || evidence.length >= MAX_EVIDENCE || listedDigests.has(attestation.evidence.toLowerCase())) continue;
    listedDigests.add(attestation.evidence.toLowerCase());
    evidence.push(await evidenceItem(sources.evidence, attestation.evidence, { kind: "attestation", uid: attestation.uid }));
  }

  const own = states.get(lotId.toString())!;
  const form = formById(own.form);
  const memberOf = (account: string) => {
    const memberId = accounts[account.toLowerCase()];
    return members.find((m) => m.memberId === memberId) ?? null;
  };
  const deliveryTimes = minted.map((lot) => lot.events[0]!.blockTime).filter((t): t is string => t !== null).sort();
  const passport: LotPassport = {
    format: "firstmile.passport.v1",
    chainId: sources.chainId.toString(),
    contracts: sources.contracts,
    lot: {
      lotId: lotId.toString(),
      commodity: form?.commodity ?? null,
      form: { id: own.form, key: form?.key ?? null, name: form?.name ?? null },
      grams: own.grams.toString(),
      quality: { bps: own.quality, measure: form?.quality ?? null },
      status: own.status,
      custodian: memberOf(own.custodian),
    },
    product: snapshot.product ? { gtin: snapshot.product.gtin, batch: snapshot.product.batch, name: snapshot.product.name } : null,
    origin: {
      deliveries: minted.length,
      plots: origins.plots,
      farmers: publicHouseholdCount(origins.farmers),
      areaM2: origins.areaM2,
      unregistered: origins.unregistered,
      districts: origins.districts,
      firstDelivery: deliveryTimes[0] ?? null,
      lastDelivery: deliveryTimes.at(-1) ?? null,
      grams: minted.reduce((sum, lot) => sum + BigInt((lot.events[0]!.event as { grams: string }).grams), 0n).toString(),
    },
    members,
    accounts,
    lots,
    attestations: snapshot.attestations.map((a) => ({
      uid: a.uid,
      subjectKind: a.subjectKind,
      lotId: a.lotId,
      scheme: { id: a.scheme.id, name: a.scheme.name, version: a.scheme.version, model: a.scheme.model },
      certifier: { memberId: a.attester.memberId, account: a.attester.account, name: members.find((m) => m.memberId === a.attester.memberId)?.name ?? null },
      attestedAt: a.attestedAt,
      expiresAt: a.expiresAt,
      status: a.status,
      revocation: a.revocation ? { reason: a.revocation.reason, at: a.revocation.at } : null,
      evidence: a.evidence,
      subject: a.subject.kind === "lot" || a.subject.kind === "member" ? `0x${BigInt(a.subject.value).toString(16).padStart(64, "0")}` : a.subject.value,
      dataHash: a.dataHash,
    })),
    statements: snapshot.statements,
    lostClaims: snapshot.originClaims
      .filter((row) => !snapshot.claims.some((claim) => claim.scheme.id === Number(row.scheme)))
      .map((row) => ({
        scheme: { id: Number(row.scheme), name: row.name, model: row.model === null ? null : ({ 1: "identityPreserved", 2: "segregated", 3: "massBalance" } as Record<number, string>)[Number(row.model)] ?? null },
        deliveriesWith: Number(row.deliveries),
        deliveries: minted.length,
      })),
    claims: snapshot.claims.map((c) => ({ scheme: { id: c.scheme.id, name: c.scheme.name, model: c.scheme.model }, source: c.source, validUntil: c.validUntil })),
    evidence,
    premium: snapshot.premium,
    verification: { ok: false, block: { number: snapshot.block.number, time: snapshot.block.time.toISOString() }, checkedAt: new Date().toISOString(), lotsChecked: 0, attestationsChecked: 0, mismatches: [] },
  };

  const mismatches: VerificationMismatch[] = [...snapshot.readModel];
  const localStarted = performance.now();
  const local = checkPassportLocally(passport);
  const localCheckMs = performance.now() - localStarted;
  try {
    const check = await checkPassportOnChain({ rpc, passport, block: snapshot.block.tag === "latest" ? "latest" : snapshot.block.number, local });
    mismatches.push(...check.mismatches);
    passport.verification.lotsChecked = check.lotsChecked;
    passport.verification.attestationsChecked = check.attestationsChecked;
  } catch (error) {
    mismatches.push({ kind: "chain", what: `the chain could not be asked: ${(error as Error).message}` });
  }
  mismatches.push(...checkStatedValues(passport));
  passport.verification.mismatches = mismatches;
  passport.verification.ok = mismatches.length === 0;
  return { passport, digest: snapshot.digest, local, localCheckMs };
}

/**
 * Whether the rows a kept page was made from are still as they were (its dependency digest in
 * `q`'s snapshot): a page remade ahead of a block is confirmed so just before the block is made
 * known, and dropped (built afresh by its next view) when not.
 */
export async function passportRowsUnchanged(q: Queryable, kept: Pick<KeptPassport, "passport" | "digest">): Promise<boolean> {
  return (await dependencyDigest(q, dependenciesOf(kept.passport))) === kept.digest;
}

/**
 * A verified page checked again at the read model's current block without building it: null (build
 * it) unless the rows it was made from give the same digest, nothing it shows has expired since,
 * and the chain still agrees with every head and attestation status it shows. So a page is never
 * "verified" by this path when a full build would not say so: any difference means a full build.
 * The rows being the ones the page was made from, its local check (`kept.local`, heads recomputed
 * from the events) is the build's: only the chain is asked again.
 */
export async function recheckPassport(sources: PassportSources, kept: Pick<KeptPassport, "passport" | "digest" | "local">): Promise<LotPassport | null> {
  const { passport, local } = kept;
  if (!passport.verification.ok) return null;
  const now = await readModelSnapshot(sources.db, async (tx, indexedBlock) => (indexedBlock === null ? null : { block: indexedBlock, digest: await dependencyDigest(tx, dependenciesOf(passport)) }));
  if (now === null || now.digest !== kept.digest) return null;
  const blockInfo = await sources.rpc.call<{ number: string; timestamp: string } | null>("eth_getBlockByNumber", [`0x${now.block.toString(16)}`, false]);
  if (!blockInfo) return null;
  const blockTime = Number(blockInfo.timestamp) * 1000;
  const nextChange = nextChangeOf(passport);
  if (nextChange !== null && blockTime >= nextChange) return null;
  const check = await checkPassportOnChain({ rpc: sources.rpc, passport, block: now.block, local });
  if (check.mismatches.length > 0) return null;
  return {
    ...passport,
    verification: { ...passport.verification, block: { number: Number(blockInfo.number), time: new Date(blockTime).toISOString() }, checkedAt: new Date().toISOString(), lotsChecked: check.lotsChecked, attestationsChecked: check.attestationsChecked },
  };
}

/** The lot and every lot it was made from (following the derived events' inputs), by depth. */
async function walkAncestry(q: Queryable, lotId: bigint): Promise<PassportLot[] | null> {
  const found = new Map<string, PassportLot>();
  let level = [lotId.toString()];
  for (let depth = 0; level.length > 0; depth++) {
    if (found.size + level.length > MAX_PASSPORT_LOTS) throw new PassportTooLargeError(`lot ${lotId} was made from more than ${MAX_PASSPORT_LOTS} lots`);
    const next = new Set<string>();
    for (const row of await getEventsOfLots(q, level)) {
      let lot = found.get(row.lotId);
      if (!lot) {
        lot = { lotId: row.lotId, depth, events: [], ingredients: [] };
        found.set(row.lotId, lot);
      }
      const event: PassportEvent = {
        event: eventJsonFromRow(row.lotId, row.kind, row.fields),
        txHash: row.txHash,
        blockNumber: row.blockNumber,
        logIndex: row.logIndex,
        blockTime: row.blockTime,
        head: row.head,
      };
      lot.events.push(event);
      if (event.event.kind === "derived") for (const input of event.event.inputIds) if (!found.has(input)) next.add(input);
    }
    if (depth === 0 && !found.has(lotId.toString())) return null;
    level = [...next].filter((id) => !found.has(id));
  }
  for (const [id, items] of await getIngredientsOfLots(q, [...found.keys()])) {
    found.get(id)!.ingredients = items.map((item) => ({ ...item, text: ingredientNameText(item.name) }));
  }
  return [...found.values()].sort((a, b) => a.depth - b.depth || (BigInt(a.lotId) < BigInt(b.lotId) ? -1 : 1));
}

/** The read model's lot rows against what the events say (a changed weight, custodian or head is named). */
async function compareReadModel(q: Queryable, lots: PassportLot[]): Promise<VerificationMismatch[]> {
  const rows = await getLots(q, lots.map((lot) => BigInt(lot.lotId)));
  const byId = new Map(rows.map((row) => [row.lotId, row]));
  const mismatches: VerificationMismatch[] = [];
  for (const lot of lots) {
    const row = byId.get(lot.lotId);
    if (!row) {
      mismatches.push({ kind: "readModel", lotId: lot.lotId, field: "row", shown: "(none)", events: `${lot.events.length} events`, what: `lot ${lot.lotId}: the gateway has events but no lot row` });
      continue;
    }
    let state;
    try {
      state = lotStateFromEvents(lot.events.map((e) => eventFromJson(e.event)));
    } catch {
      continue; // named by the head check
    }
    const compare = (field: string, table: string, events: string) => {
      if (table !== events) mismatches.push({ kind: "readModel", lotId: lot.lotId, field, shown: table, events, what: `lot ${lot.lotId}: the gateway's lots table says ${field} ${table}, its events say ${events}` });
    };
    compare("grams", row.grams, state.grams.toString());
    compare("form", String(row.form.id), String(state.form));
    compare("status", row.status, state.status);
    compare("custodian", row.custodian.account.toLowerCase(), state.custodian);
    compare("head", row.head.toLowerCase(), (lot.events.at(-1)?.head ?? "").toLowerCase());
    compare("event count", String(row.eventCount), String(lot.events.length));
  }
  return mismatches;
}

async function memberProfile(store: EvidenceStore, digest: string, cache: Map<string, MemberProfile>): Promise<MemberProfile> {
  const unknown: MemberProfile = { name: null, kind: null, region: null };
  if (!/^0x[0-9a-f]{64}$/i.test(digest) || digest === ZERO32) return unknown;
  if (cache.has(digest)) return cache.get(digest)!;
  let profile = unknown;
  try {
    const cid = await withTimeout(resolveDigest(digest, store), 2_000);
    const bytes = await withTimeout(store.get(cid), 2_000);
    if (bytes.length <= 64 * 1024) {
      profile = memberProfileOf(JSON.parse(Buffer.from(bytes).toString("utf8")));
    }
  } catch {
    profile = unknown; // not held here, not JSON: the page says "member #N"
  }
  if (cache.size > 5_000) cache.clear();
  cache.set(digest, profile);
  return profile;
}

async function evidenceItem(store: EvidenceStore, digest: string, source: PassportEvidence["source"]): Promise<PassportEvidence> {
  try {
    const cid = (await withTimeout(resolveDigest(digest, store), 2_000)).toString();
    return { cid, digest: digest.toLowerCase(), source, href: `/ipfs/${cid}` };
  } catch {
    return { cid: null, digest: digest.toLowerCase(), source, href: null };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
}

/**
 * Attestations about the plots the deliveries came from (a plot's subject is the commitment a
 * delivery carries on chain as its origin), each tied to the first delivery from that plot.
 */
async function originPlotAttestations(
  tx: Queryable,
  deliveries: ReadonlyArray<{ lotId: string; origin: string }>,
  now: Date,
): Promise<Array<AttestationView & { subjectKind: "plot"; lotId: string }>> {
  const deliveryOf = new Map<string, string>();
  for (const delivery of deliveries) if (!deliveryOf.has(delivery.origin.toLowerCase())) deliveryOf.set(delivery.origin.toLowerCase(), delivery.lotId);
  const attestations = await getPlotAttestations(tx, [...deliveryOf.keys()], { now, limit: MAX_PLOT_ATTESTATIONS });
  return attestations.map((view) => ({ ...view, subjectKind: "plot" as const, lotId: deliveryOf.get(view.subject.value.toLowerCase())! }));
}
