import type { Interface } from "ethers";
import { decodeBytes32String } from "ethers";
import { attestationRegistryInterface, ddsRegistryInterface, formCatalogueInterface, lotRegistryInterface as registryInterface, payoutRegistryInterface } from "../../chain/contracts";
import { encodeCheckpoint } from "../checkpoint";
import { IndexerDecodeError } from "../errors";
import { DERIVE_KINDS, type AttestationEvent, type DdsEvent, type ChainLog, type EventMeta, type IndexedEvent, type PayoutEvent, type RegistryEvent } from "./events";

export type DecodeLogsParameters = {
  /** The lot registry's address (it is also the membership registry). */
  lotRegistry: string;
  /** The form catalogue's address, if its events (dry-weight forms, yield bounds) are indexed too. */
  formCatalogue?: string | undefined;
  /** The attestation registry's address, if its events are indexed too. */
  attestationRegistry?: string | undefined;
  /** The payout registry's address, if its events (premium commitments, payout runs) are indexed too. */
  payoutRegistry?: string | undefined;
  /** The DDS registry's address, if statement references are indexed too. */
  ddsRegistry?: string | undefined;
  /** Block timestamps by block number, for `blockTime`. */
  blockTimes?: ReadonlyMap<number, Date> | undefined;
};

export type DecodeLogsReturnType = IndexedEvent[];
export type DecodeLogsErrorType = IndexerDecodeError;

// Widened to the untyped interface: events are looked up by the name a log's topic gives.
const lotRegistryInterface: Interface = registryInterface;
const attestationInterface: Interface = attestationRegistryInterface;
const ddsInterface: Interface = ddsRegistryInterface;

/**
 * Registry events the read model does not need: ERC-721 `Transfer` (custody is in the handover
 * events; a `LotMinted`'s custodian is read from the `Transfer` just before it), ERC-2309
 * `ConsecutiveTransfer` (`LotsMinted` says the same) and the observer wiring.
 */
const IGNORED = new Set([
  "Transfer",
  "ConsecutiveTransfer",
  "LotObserverSet",
  "Approval",
  "ApprovalForAll",
  "GovernanceSet",
  "BaseURIChanged",
  "FormCatalogueSet",
]);

/**
 * Turns the registry's logs, in chain order, into typed events. Pure: no I/O. Logs from other
 * addresses are left out. A registry log the indexer does not know is an error (the contracts
 * changed and the indexer must learn the new event before it can go on).
 *
 * @throws {IndexerDecodeError} on an unknown or undecodable registry log.
 */
export function decodeLogs(logs: readonly ChainLog[], parameters: DecodeLogsParameters): DecodeLogsReturnType {
  const registry = parameters.lotRegistry.toLowerCase();
  const attestations = parameters.attestationRegistry?.toLowerCase();
  const catalogue = parameters.formCatalogue?.toLowerCase();
  const payouts = parameters.payoutRegistry?.toLowerCase();
  const dds = parameters.ddsRegistry?.toLowerCase();
  const events: IndexedEvent[] = [];
  // `to` of the last mint Transfer per transaction and token, for LotMinted's custodian.
  const mintedTo = new Map<string, string>();
  for (const log of logs) {
    const address = log.address.toLowerCase();
    if (address === payouts) {
      events.push({ ...decodePayoutLog(log), ...metaOf(log, parameters.blockTimes) } as IndexedEvent);
      continue;
    }
    if (address === attestations) {
      events.push({ ...decodeAttestationLog(log), ...metaOf(log, parameters.blockTimes) } as IndexedEvent);
      continue;
    }
    if (address === dds) {
      events.push({ ...decodeDdsLog(log), ...metaOf(log, parameters.blockTimes) } as IndexedEvent);
      continue;
    }
    const fromCatalogue = address === catalogue;
    if (address !== registry && !fromCatalogue) continue;
    const name = eventName(log, fromCatalogue ? CATALOGUE_NAMES_BY_TOPIC : NAMES_BY_TOPIC, fromCatalogue ? "FormCatalogue" : "LotRegistry");
    const meta = metaOf(log, parameters.blockTimes);
    if (IGNORED.has(name) && name !== "Transfer") continue;
    let event: RegistryEvent | null;
    try {
      if (fromCatalogue) event = toCatalogueEvent(name, log);
      else event = name === "Transfer" ? noteMint(log, meta, mintedTo) : toRegistryEvent(name, log, meta, mintedTo);
    } catch (error) {
      if (!(error instanceof LogFormatError)) throw error;
      throw new IndexerDecodeError(`Cannot decode ${name} in log ${log.logIndex} of block ${log.blockNumber}`, {
        cause: error,
        details: `tx ${log.transactionHash}: ${(error as Error).message}`,
      });
    }
    if (event) events.push({ ...event, ...meta } as IndexedEvent);
  }
  return events;
}

/** A mint `Transfer` (from zero) remembers its `to` for the `LotMinted` after it; yields no event. */
function noteMint(log: ChainLog, meta: EventMeta, mintedTo: Map<string, string>): null {
  const reader = new LogReader(log, 4, 0); // ERC-721: the token id is indexed too
  if (reader.topicAddress(1) === ZERO_ADDRESS) mintedTo.set(`${meta.txHash}:${reader.topicUint(3)}`, reader.topicAddress(2));
  return null;
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

function metaOf(log: ChainLog, blockTimes: ReadonlyMap<number, Date> | undefined): EventMeta {
  return {
    position: encodeCheckpoint(log),
    blockNumber: log.blockNumber,
    logIndex: log.logIndex,
    txHash: log.transactionHash.toLowerCase(),
    blockTime: blockTimes?.get(log.blockNumber) ?? null,
  };
}

const ascii = (bytes3: unknown) => Buffer.from(String(bytes3).slice(2), "hex").toString("latin1");

/** The payout registry's events, through ethers' ABI decoder (a few per payout run or commitment). */
function decodePayoutLog(log: ChainLog): PayoutEvent {
  let parsed;
  try {
    parsed = (payoutRegistryInterface as Interface).parseLog({ topics: [...log.topics], data: log.data });
  } catch (error) {
    throw new IndexerDecodeError(`Cannot decode payout log ${log.logIndex} of block ${log.blockNumber}`, { cause: error, details: `tx ${log.transactionHash}: ${(error as Error).message}` });
  }
  const a = parsed?.args;
  if (parsed?.name === "PremiumCommitted" && a) {
    return {
      type: "PremiumCommitted",
      commitmentId: a.commitmentId as bigint,
      lotId: a.lotId as bigint,
      member: a.member as bigint,
      scheme: decodeBytes32String(String(a.scheme)),
      currency: ascii(a.currency),
      ratePerKg: a.ratePerKg as bigint,
      grams: a.grams as bigint,
    };
  }
  if (parsed?.name === "PayoutRunPublished" && a) {
    const currencies = [...(a.currencies as string[])];
    const totals = [...(a.totals as bigint[])];
    return {
      type: "PayoutRunPublished",
      root: String(a.root).toLowerCase(),
      member: a.member as bigint,
      count: Number(a.count),
      totals: currencies.map((currency, i) => ({ currency: ascii(currency), total: totals[i]! })),
    };
  }
  if (parsed?.name === "ConfirmationRootPublished" && a) {
    return { type: "ConfirmationRootPublished", batchRoot: String(a.batchRoot).toLowerCase(), runRoot: String(a.runRoot).toLowerCase(), member: a.member as bigint, count: Number(a.count) };
  }
  throw new IndexerDecodeError(`Unknown event in payout log ${log.logIndex} of block ${log.blockNumber}`, {
    details: `tx ${log.transactionHash}, topic ${log.topics[0] ?? "(none)"} is not a PayoutRegistry event the indexer handles`,
  });
}

/**
 * The attestation registry's events, through ethers' ABI decoder: they are few (an audit, a
 * revocation, a claim moving with a lot) next to the lot registry's.
 */
function decodeAttestationLog(log: ChainLog): AttestationEvent {
  let parsed;
  try {
    parsed = attestationInterface.parseLog({ topics: [...log.topics], data: log.data });
  } catch (error) {
    throw new IndexerDecodeError(`Cannot decode attestation log ${log.logIndex} of block ${log.blockNumber}`, {
      cause: error,
      details: `tx ${log.transactionHash}: ${(error as Error).message}`,
    });
  }
  if (!parsed) {
    throw new IndexerDecodeError(`Unknown event in attestation log ${log.logIndex} of block ${log.blockNumber}`, {
      details: `tx ${log.transactionHash}, topic ${log.topics[0] ?? "(none)"} is not in the AttestationRegistry ABI`,
    });
  }
  const a = parsed.args;
  const lower = (value: unknown) => String(value).toLowerCase();
  switch (parsed.name) {
    case "SchemeRegistered":
      return {
        type: "SchemeRegistered",
        scheme: Number(a.scheme),
        model: Number(a.model),
        subjects: Number(a.subjects),
        defaultValidity: Number(a.defaultValidity),
        name: String(a.name),
        version: String(a.version),
      };
    case "Accredited":
      return { type: "Accredited", scheme: Number(a.scheme), member: a.member as bigint, until: Number(a.until) };
    case "AccreditationWithdrawn":
      return { type: "AccreditationWithdrawn", scheme: Number(a.scheme), member: a.member as bigint };
    case "Attested":
      return {
        type: "Attested",
        subject: lower(a.subject),
        attester: lower(a.attester),
        scheme: Number(a.scheme),
        uid: lower(a.uid),
        subjectKind: Number(a.subjectKind),
        expiresAt: Number(a.expiresAt),
        evidence: lower(a.evidence),
        dataHash: lower(a.dataHash),
      };
    case "Revoked":
      return { type: "Revoked", uid: lower(a.uid), revoker: lower(a.revoker), scheme: Number(a.scheme), reason: Number(a.reason) };
    case "ClaimCarried":
      return {
        type: "ClaimCarried",
        scheme: Number(a.scheme),
        firstOutputId: a.firstOutputId as bigint,
        outputCount: Number(a.outputCount),
        family: a.family as bigint,
        validUntil: Number(a.validUntil),
      };
    case "OriginClaimed":
      return { type: "OriginClaimed", scheme: Number(a.scheme), lotId: a.lotId as bigint, uid: lower(a.uid) };
    case "MassBalanceCredited":
    case "MassBalanceDebited":
    case "MassBalanceWithdrawn":
      return {
        type: parsed.name,
        member: a.member as bigint,
        scheme: Number(a.scheme),
        lotId: a.lotId as bigint,
        form: Number(a.form),
        grams: a.grams as bigint,
        balance: a.balance as bigint,
      };
    default:
      throw new IndexerDecodeError(`The indexer does not handle the attestation registry's ${parsed.name} event`, {
        details: `tx ${log.transactionHash}, log ${log.logIndex} of block ${log.blockNumber}`,
      });
  }
}

/** The DDS registry's one event, through ethers' ABI decoder (statements are rare). */
function decodeDdsLog(log: ChainLog): DdsEvent {
  let parsed;
  try {
    parsed = ddsInterface.parseLog({ topics: [...log.topics], data: log.data });
  } catch (error) {
    throw new IndexerDecodeError(`Cannot decode DDS registry log ${log.logIndex} of block ${log.blockNumber}`, {
      cause: error,
      details: `tx ${log.transactionHash}: ${(error as Error).message}`,
    });
  }
  if (!parsed || parsed.name !== "DdsReferenced") {
    throw new IndexerDecodeError(`Unknown event in DDS registry log ${log.logIndex} of block ${log.blockNumber}`, {
      details: `tx ${log.transactionHash}, topic ${log.topics[0] ?? "(none)"}`,
    });
  }
  const a = parsed.args;
  return {
    type: "DdsReferenced",
    lotId: a.lotId as bigint,
    member: a.member as bigint,
    by: String(a.by).toLowerCase(),
    referenceNumber: String(a.referenceNumber),
    verificationNumber: String(a.verificationNumber),
  };
}

/** Event names by topic hash, from the compiled ABIs (typechain): the ABI stays the source of truth. */
const namesByTopic = (contract: Interface) => {
  const names = new Map<string, string>();
  contract.forEachEvent((fragment) => names.set(fragment.topicHash.toLowerCase(), fragment.name));
  return names;
};
const NAMES_BY_TOPIC = namesByTopic(lotRegistryInterface);
const CATALOGUE_NAMES_BY_TOPIC = namesByTopic(formCatalogueInterface);

function eventName(log: ChainLog, names: ReadonlyMap<string, string>, contract: string): string {
  const name = log.topics[0] ? names.get(log.topics[0].toLowerCase()) : undefined;
  if (!name) {
    throw new IndexerDecodeError(`Unknown event in log ${log.logIndex} of block ${log.blockNumber}`, {
      details: `tx ${log.transactionHash}, topic ${log.topics[0] ?? "(none)"} is not in the ${contract} ABI`,
      metaMessages: ["The contract emits an event this indexer does not know: update the indexer, then rebuild."],
    });
  }
  return name;
}

/**
 * Reads a log's topics and data as ABI words. Written out by hand for the registry's fixed
 * layouts: ethers' general decoder costs more than everything else the indexer does per event.
 * The layouts are checked against ethers' encoder in test/indexer/project.test.ts.
 */
class LogFormatError extends Error {
  override name = "LogFormatError";
}

class LogReader {
  readonly #data: string;
  readonly #topics: readonly string[];
  constructor(log: ChainLog, topics: number, minWords: number) {
    if (log.topics.length !== topics) throw new LogFormatError(`expected ${topics} topics, got ${log.topics.length}`);
    const data = log.data.startsWith("0x") ? log.data.slice(2) : log.data;
    if (data.length % 64 !== 0 || data.length / 64 < minWords || !/^[0-9a-fA-F]*$/.test(data)) {
      throw new LogFormatError(`malformed data: ${data.length / 2} bytes, at least ${minWords * 32} expected in words of 32`);
    }
    this.#data = data.toLowerCase();
    this.#topics = log.topics;
  }

  get words(): number {
    return this.#data.length / 64;
  }

  #word(index: number): string {
    if (index < 0 || index >= this.words) throw new LogFormatError(`data word ${index} is out of bounds (${this.words} words)`);
    return this.#data.slice(index * 64, index * 64 + 64);
  }

  uint(index: number, bits = 256): bigint {
    const value = BigInt(`0x${this.#word(index)}`);
    if (value >> BigInt(bits) !== 0n) throw new LogFormatError(`word ${index} does not fit uint${bits}`);
    return value;
  }

  small(index: number, bits: number): number {
    return Number(this.uint(index, bits));
  }

  bool(index: number): boolean {
    return this.small(index, 1) === 1;
  }

  bytes32(index: number): string {
    return `0x${this.#word(index)}`;
  }

  /** A dynamic value's offset, as a word index. */
  offset(index: number): number {
    const bytes = this.small(index, 32);
    if (bytes % 32 !== 0) throw new LogFormatError(`offset ${bytes} is not word-aligned`);
    return bytes / 32;
  }

  /** An array of `wordsPerItem`-word static items at the offset in word `index`: [first word, length]. */
  array(index: number, wordsPerItem: number): [number, number] {
    const at = this.offset(index);
    const length = this.small(at, 32);
    if (at + 1 + length * wordsPerItem > this.words) throw new LogFormatError(`array at word ${at} runs past the data`);
    return [at + 1, length];
  }

  string(index: number): string {
    const at = this.offset(index);
    const length = this.small(at, 32);
    const hex = this.#data.slice((at + 1) * 64, (at + 1) * 64 + length * 2);
    if (hex.length !== length * 2) throw new LogFormatError(`string at word ${at} runs past the data`);
    return Buffer.from(hex, "hex").toString("utf8");
  }

  topicUint(index: number, bits = 256): bigint {
    const value = BigInt(this.#topics[index]!);
    if (value >> BigInt(bits) !== 0n) throw new LogFormatError(`topic ${index} does not fit uint${bits}`);
    return value;
  }

  topicAddress(index: number): string {
    const topic = this.#topics[index]!.toLowerCase();
    if (!/^0x0{24}[0-9a-f]{40}$/.test(topic)) throw new LogFormatError(`topic ${index} is not an address`);
    return `0x${topic.slice(26)}`;
  }
}

function toRegistryEvent(name: string, log: ChainLog, meta: EventMeta, mintedTo: Map<string, string>): RegistryEvent {
  switch (name) {
    case "MemberAdded": {
      const r = new LogReader(log, 2, 3);
      const country = Buffer.from(r.bytes32(1).slice(2, 6), "hex").toString("latin1");
      return { type: "MemberAdded", memberId: r.topicUint(1, 64), roles: r.small(0, 8), country, metadata: r.bytes32(2) };
    }
    case "AccountAdded": {
      const r = new LogReader(log, 3, 0);
      return { type: "AccountAdded", memberId: r.topicUint(1, 64), account: r.topicAddress(2) };
    }
    case "AccountStatusChanged": {
      const r = new LogReader(log, 3, 1);
      return { type: "AccountStatusChanged", memberId: r.topicUint(1, 64), account: r.topicAddress(2), active: r.bool(0) };
    }
    case "MemberStatusChanged": {
      const r = new LogReader(log, 2, 1);
      return { type: "MemberStatusChanged", memberId: r.topicUint(1, 64), active: r.bool(0) };
    }
    case "RolesChanged": {
      const r = new LogReader(log, 2, 2);
      return { type: "RolesChanged", memberId: r.topicUint(1, 64), previousRoles: r.small(0, 8), roles: r.small(1, 8) };
    }
    case "MetadataChanged": {
      const r = new LogReader(log, 2, 1);
      return { type: "MetadataChanged", memberId: r.topicUint(1, 64), metadata: r.bytes32(0) };
    }
    case "FormRegistered": {
      const r = new LogReader(log, 2, 6);
      return {
        type: "FormRegistered",
        form: Number(r.topicUint(1, 8)),
        commodity: r.small(0, 8),
        lossBps: r.small(1, 16),
        gainBps: r.small(2, 16),
        mintable: r.bool(3),
        name: r.string(4),
      };
    }
    case "FormToleranceChanged": {
      const r = new LogReader(log, 2, 2);
      return { type: "FormToleranceChanged", form: Number(r.topicUint(1, 8)), lossBps: r.small(0, 16), gainBps: r.small(1, 16) };
    }
    case "LotMinted": {
      const r = new LogReader(log, 2, 6);
      const lotId = r.topicUint(1);
      const custodian = mintedTo.get(`${meta.txHash}:${lotId}`);
      if (!custodian) {
        throw new IndexerDecodeError(`LotMinted for lot ${lotId} without its mint Transfer`, {
          details: `tx ${log.transactionHash}, log ${log.logIndex}: the Transfer(0, custodian, ${lotId}) must come first in the same transaction`,
        });
      }
      return {
        type: "LotsMinted",
        custodian,
        firstLotId: lotId,
        deliveries: [{ form: r.small(0, 8), grams: r.uint(1, 64), quality: r.small(2, 16), metadata: r.bytes32(3), origin: r.bytes32(4) }],
        heads: [r.bytes32(5)],
      };
    }
    case "LotsMinted": {
      const r = new LogReader(log, 3, 2);
      const [deliveriesAt, count] = r.array(0, 5);
      const [headsAt, headCount] = r.array(1, 1);
      if (headCount !== count) throw new LogFormatError(`${count} deliveries but ${headCount} heads`);
      const deliveries = Array.from({ length: count }, (_, i) => {
        const at = deliveriesAt + i * 5;
        return { form: r.small(at, 8), grams: r.uint(at + 1, 64), quality: r.small(at + 2, 16), metadata: r.bytes32(at + 3), origin: r.bytes32(at + 4) };
      });
      return {
        type: "LotsMinted",
        custodian: r.topicAddress(1),
        firstLotId: r.topicUint(2),
        deliveries,
        heads: Array.from({ length: count }, (_, i) => r.bytes32(headsAt + i)),
      };
    }
    case "HandoverOffered":
    case "HandoverCancelled": {
      const r = new LogReader(log, 4, 1);
      return { type: name, lotId: r.topicUint(1), custodian: r.topicAddress(2), receiver: r.topicAddress(3), head: r.bytes32(0) };
    }
    case "HandoverRejected": {
      const r = new LogReader(log, 4, 2);
      return { type: "HandoverRejected", lotId: r.topicUint(1), custodian: r.topicAddress(2), receiver: r.topicAddress(3), reason: r.small(0, 16), head: r.bytes32(1) };
    }
    case "HandoverAccepted": {
      const r = new LogReader(log, 4, 4);
      return {
        type: "HandoverAccepted",
        lotId: r.topicUint(1),
        previousCustodian: r.topicAddress(2),
        custodian: r.topicAddress(3),
        gramsSent: r.uint(0, 64),
        gramsReceived: r.uint(1, 64),
        quality: r.small(2, 16),
        head: r.bytes32(3),
      };
    }
    case "LotsDerived": {
      const r = new LogReader(log, 3, 6);
      const kindNumber = Number(r.topicUint(1, 8));
      const kind = DERIVE_KINDS[kindNumber as keyof typeof DERIVE_KINDS];
      if (!kind) throw new IndexerDecodeError(`LotsDerived with unknown kind ${kindNumber}`, { details: `tx ${log.transactionHash}, log ${log.logIndex}` });
      const [idsAt, idCount] = r.array(0, 1);
      const [inputHeadsAt, inputHeadCount] = r.array(1, 1);
      const [outputsAt, outputCount] = r.array(3, 4);
      const [ingredientsAt, ingredientCount] = r.array(4, 3);
      const [outputHeadsAt, outputHeadCount] = r.array(5, 1);
      if (inputHeadCount !== idCount || outputHeadCount !== outputCount) throw new LogFormatError("arrays of different lengths");
      return {
        type: "LotsDerived",
        kind,
        custodian: r.topicAddress(2),
        inputIds: Array.from({ length: idCount }, (_, i) => r.uint(idsAt + i)),
        inputHeads: Array.from({ length: idCount }, (_, i) => r.bytes32(inputHeadsAt + i)),
        firstOutputId: r.uint(2),
        outputs: Array.from({ length: outputCount }, (_, i) => {
          const at = outputsAt + i * 4;
          return { form: r.small(at, 8), grams: r.uint(at + 1, 64), quality: r.small(at + 2, 16), metadata: r.bytes32(at + 3) };
        }),
        ingredients: Array.from({ length: ingredientCount }, (_, i) => {
          const at = ingredientsAt + i * 3;
          return { outputForm: r.small(at, 8), grams: r.uint(at + 1, 64), name: r.bytes32(at + 2) };
        }),
        outputHeads: Array.from({ length: outputCount }, (_, i) => r.bytes32(outputHeadsAt + i)),
      };
    }
    case "EvidenceAttached": {
      const r = new LogReader(log, 3, 2);
      return { type: "EvidenceAttached", lotId: r.topicUint(1), by: r.topicAddress(2), evidence: r.bytes32(0), head: r.bytes32(1) };
    }
    default:
      throw new IndexerDecodeError(`The indexer does not handle the registry's ${name} event`, {
        details: `tx ${log.transactionHash}, log ${log.logIndex} of block ${log.blockNumber}`,
        metaMessages: ["Teach src/indexer/indexing/decode.ts and project.ts this event, then rebuild the index."],
      });
  }
}

/** The form catalogue's events: governance data the read model keeps beside the forms. */
function toCatalogueEvent(name: string, log: ChainLog): RegistryEvent {
  switch (name) {
    case "YieldBoundsSet": {
      const r = new LogReader(log, 3, 2);
      return { type: "YieldBoundsSet", inputForm: Number(r.topicUint(1, 8)), outputForm: Number(r.topicUint(2, 8)), minBps: r.small(0, 32), maxBps: r.small(1, 32) };
    }
    case "DryBasisSet": {
      const r = new LogReader(log, 2, 1);
      return { type: "DryBasisSet", form: Number(r.topicUint(1, 8)), dryBasis: r.bool(0) };
    }
    default:
      throw new IndexerDecodeError(`The indexer does not handle the form catalogue's ${name} event`, {
        details: `tx ${log.transactionHash}, log ${log.logIndex} of block ${log.blockNumber}`,
        metaMessages: ["Teach src/indexer/indexing/decode.ts and project.ts this event, then rebuild the index."],
      });
  }
}
