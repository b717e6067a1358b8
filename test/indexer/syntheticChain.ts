import { ZeroHash, id } from "ethers";
import { encodeCheckpoint, type ChainLog, type ChainReader, type IndexedEvent } from "../../src/indexer";
import { chainLogsOf, type RpcLog } from "../../src/indexer/sync/chainReader";
import type { DeclaredIngredient, DerivedOutput, RegistryEvent } from "../../src/indexer/indexing/events";
import { eventDigest, foldHead, ingredientsDigest, type LotHistoryEvent } from "../../src/lots/historyHead";
import { Commodity, FORMS, YIELDS, FormId, formByKey, yieldOutputId } from "../../src/lots/forms";
import { Role } from "../../src/membership/roles";
import { FormCatalogue__factory, LotRegistry__factory } from "../../typechain-types";

type LotState = { head: string; custodian: string; grams: bigint; form: number; quality: number; receiver: string | null };

/**
 * Decoded registry events as the chain would emit them, with correct history heads (folded with
 * the shared twin), without a chain: for query tests and the indexer benchmark. Lot ids follow
 * the contract's rule (account number x 10^9 + sequence); each call is one log in its own block
 * unless `sameBlock` is used.
 */
export class SyntheticChain {
  readonly events: IndexedEvent[] = [];
  readonly lots = new Map<bigint, LotState>();
  private block = 100;
  private logIndex = 0;
  private accounts = new Map<string, { number: number; sequence: bigint }>();
  private members = 0;
  private readonly start = Date.parse("2025-03-01T00:00:00Z");
  /** Seconds of chain time per block (a day's deliveries spread over many blocks). */
  secondsPerBlock = 60;

  constructor() {
    this.governor = this.account("governor");
    this.addMember(Role.governor, [this.governor], "ID");
    for (const form of FORMS) this.emit({ type: "FormRegistered", form: form.id, commodity: Commodity[form.commodity], lossBps: form.lossBps, gainBps: form.gainBps, mintable: form.mintable, name: form.name });
    for (const form of FORMS) if (form.dryBasis) this.emit({ type: "DryBasisSet", form: form.id, dryBasis: true });
    for (const bounds of YIELDS) {
      this.emit({ type: "YieldBoundsSet", inputForm: formByKey(bounds.from).id, outputForm: yieldOutputId(bounds.to), minBps: bounds.minBps, maxBps: bounds.maxBps });
    }
  }

  readonly governor: string;

  /** A deterministic address for a name. */
  account(name: string): string {
    return `0x${id(`account ${name}`).slice(26)}`;
  }

  addMember(roles: number, accounts: string[], country = "ID"): bigint {
    const memberId = BigInt(++this.members);
    this.nextBlock();
    this.emit({ type: "MemberAdded", memberId, roles, country, metadata: ZeroHash });
    for (const account of accounts) {
      this.accounts.set(account, { number: this.accounts.size + 1, sequence: 0n });
      this.emit({ type: "AccountAdded", memberId, account });
    }
    return memberId;
  }

  mint(custodian: string, deliveries: Array<{ form: number; grams: bigint; quality?: number }>): bigint[] {
    this.nextBlock();
    const firstLotId = this.reserve(custodian, deliveries.length);
    const heads: string[] = [];
    const full = deliveries.map((delivery, index) => {
      const lotId = firstLotId + BigInt(index);
      const metadata = id(`metadata ${lotId}`);
      const origin = id(`origin ${lotId}`);
      const quality = delivery.quality ?? 0;
      const head = this.fold(ZeroHash, { kind: "minted", lotId, custodian, form: delivery.form, grams: delivery.grams, quality, metadata, origin });
      heads.push(head);
      this.lots.set(lotId, { head, custodian, grams: delivery.grams, form: delivery.form, quality, receiver: null });
      return { form: delivery.form, grams: delivery.grams, quality, metadata, origin };
    });
    this.emit({ type: "LotsMinted", custodian, firstLotId, deliveries: full, heads });
    return deliveries.map((_, index) => firstLotId + BigInt(index));
  }

  offer(lotId: bigint, receiver: string): void {
    const lot = this.lots.get(lotId)!;
    lot.head = this.fold(lot.head, { kind: "offered", lotId, custodian: lot.custodian, receiver });
    lot.receiver = receiver;
    this.nextBlock();
    this.emit({ type: "HandoverOffered", lotId, custodian: lot.custodian, receiver, head: lot.head });
  }

  /** Accepts at `gramsReceived`; a `quality` measured on receipt replaces the lot's (0 keeps it). */
  accept(lotId: bigint, gramsReceived: bigint, measured = 0): void {
    const lot = this.lots.get(lotId)!;
    const previous = lot.custodian;
    const receiver = lot.receiver!;
    const quality = measured === 0 ? lot.quality : measured;
    lot.head = this.fold(lot.head, { kind: "accepted", lotId, previousCustodian: previous, custodian: receiver, gramsSent: lot.grams, gramsReceived, quality });
    this.nextBlock();
    this.emit({ type: "HandoverAccepted", lotId, previousCustodian: previous, custodian: receiver, gramsSent: lot.grams, gramsReceived, quality, head: lot.head });
    const grams = gramsReceived < lot.grams ? gramsReceived : lot.grams;
    Object.assign(lot, { custodian: receiver, grams, quality, receiver: null });
  }

  /** Offer and accept the full weight. */
  handOver(lotIds: readonly bigint[], receiver: string): void {
    for (const lotId of lotIds) {
      this.offer(lotId, receiver);
      this.accept(lotId, this.lots.get(lotId)!.grams);
    }
  }

  split(lotId: bigint, grams: bigint[]): bigint[] {
    const lot = this.lots.get(lotId)!;
    return this.derive(6, [lotId], grams.map((g) => ({ form: lot.form, grams: g, quality: lot.quality })));
  }

  merge(lotIds: bigint[]): bigint {
    const form = this.lots.get(lotIds[0]!)!.form;
    const lots = lotIds.map((lotId) => this.lots.get(lotId)!);
    const grams = lots.reduce((sum, lot) => sum + lot.grams, 0n);
    // The contract's grams-weighted mean, rounded down; unmeasured if any input was.
    const quality = lots.every((lot) => lot.quality > 0) ? Number(lots.reduce((sum, lot) => sum + lot.grams * BigInt(lot.quality), 0n) / grams) : 0;
    return this.derive(7, lotIds, [{ form, grams, quality }])[0]!;
  }

  transform(inputIds: bigint[], outputs: Array<{ form: number; grams: bigint; quality?: number }>, ingredients: DeclaredIngredient[] = []): bigint[] {
    return this.derive(8, inputIds, outputs, ingredients);
  }

  attachEvidence(lotId: bigint, label: string): void {
    const lot = this.lots.get(lotId)!;
    const evidence = id(label);
    lot.head = this.fold(lot.head, { kind: "evidence", lotId, by: lot.custodian, evidence });
    this.nextBlock();
    this.emit({ type: "EvidenceAttached", lotId, by: lot.custodian, evidence, head: lot.head });
  }

  nextBlock(): void {
    this.block += 1;
    this.logIndex = 0;
  }

  get blockNumber(): number {
    return this.block;
  }

  private derive(kindNumber: 6 | 7 | 8, inputIds: bigint[], outputs: Array<{ form: number; grams: bigint; quality?: number }>, ingredients: DeclaredIngredient[] = []): bigint[] {
    const kind = ({ 6: "split", 7: "merged", 8: "transformed" } as const)[kindNumber];
    const custodian = this.lots.get(inputIds[0]!)!.custodian;
    this.nextBlock();
    const firstOutputId = this.reserve(custodian, outputs.length);
    const outputCount = BigInt(outputs.length);
    const inputHeads = inputIds.map((lotId) => {
      const lot = this.lots.get(lotId)!;
      lot.head = this.fold(lot.head, { kind, lotId, firstOutputId, outputCount });
      return lot.head;
    });
    const full: DerivedOutput[] = outputs.map((output, index) => ({
      form: output.form,
      grams: output.grams,
      quality: output.quality ?? 0,
      metadata: id(`metadata ${firstOutputId + BigInt(index)}`),
    }));
    const declared = ingredientsDigest(ingredients);
    const outputHeads = full.map((output, index) => {
      const lotId = firstOutputId + BigInt(index);
      const head = this.fold(ZeroHash, { kind: "derived", lotId, custodian, form: output.form, grams: output.grams, quality: output.quality, metadata: output.metadata, ingredients: declared, inputIds, inputHeads });
      this.lots.set(lotId, { head, custodian, grams: output.grams, form: output.form, quality: output.quality, receiver: null });
      return head;
    });
    this.emit({ type: "LotsDerived", kind, custodian, inputIds, inputHeads, firstOutputId, outputs: full, ingredients, outputHeads });
    return full.map((_, index) => firstOutputId + BigInt(index));
  }

  private reserve(account: string, count: number): bigint {
    const record = this.accounts.get(account);
    if (!record) throw new Error(`unknown account ${account}`);
    const first = BigInt(record.number) * 1_000_000_000n + record.sequence + 1n;
    record.sequence += BigInt(count);
    return first;
  }

  private fold(head: string, event: LotHistoryEvent): string {
    return foldHead(head, eventDigest(event));
  }

  private emit(event: RegistryEvent): void {
    const blockNumber = this.block;
    const logIndex = this.logIndex++;
    this.events.push({
      ...event,
      position: encodeCheckpoint({ blockNumber, logIndex }),
      blockNumber,
      logIndex,
      txHash: id(`tx ${blockNumber}`),
      blockTime: new Date(this.start + (blockNumber - 100) * this.secondsPerBlock * 1000),
    } as IndexedEvent);
  }
}

export const SyntheticForm = FormId;

const registryInterface = LotRegistry__factory.createInterface();
const DERIVE_KIND_NUMBERS = { split: 6, merged: 7, transformed: 8 } as const;

const catalogueInterface = FormCatalogue__factory.createInterface();
/** Where the synthetic chain's form catalogue is: its events (dry weight, yield bounds) come from there. */
export const SYNTHETIC_CATALOGUE = "0x00000000000000000000000000000000000000cc";

/** The log the registry (or, for dry weight and yield bounds, the form catalogue) would have emitted for a decoded event (the decoder's inverse). */
export function toChainLog(event: IndexedEvent, registry: string, catalogue: string = SYNTHETIC_CATALOGUE): ChainLog {
  const [name, values] = eventArguments(event);
  const fromCatalogue = event.type === "YieldBoundsSet" || event.type === "DryBasisSet";
  const encoded = fromCatalogue ? catalogueInterface.encodeEventLog(name, values) : registryInterface.encodeEventLog(name, values);
  return {
    address: fromCatalogue ? catalogue : registry,
    topics: encoded.topics,
    data: encoded.data,
    blockNumber: event.blockNumber,
    blockHash: id(`block ${event.blockNumber}`),
    transactionHash: event.txHash,
    logIndex: event.logIndex,
  };
}

function eventArguments(event: IndexedEvent): [string, unknown[]] {
  switch (event.type) {
    case "MemberAdded":
      return [event.type, [event.memberId, event.roles, `0x${Buffer.from(event.country, "latin1").toString("hex")}`, event.metadata]];
    case "AccountAdded":
      return [event.type, [event.memberId, event.account]];
    case "AccountStatusChanged":
      return [event.type, [event.memberId, event.account, event.active]];
    case "MemberStatusChanged":
      return [event.type, [event.memberId, event.active]];
    case "RolesChanged":
      return [event.type, [event.memberId, event.previousRoles, event.roles]];
    case "MetadataChanged":
      return [event.type, [event.memberId, event.metadata]];
    case "FormRegistered":
      return [event.type, [event.form, event.commodity, event.lossBps, event.gainBps, event.mintable, event.name]];
    case "FormToleranceChanged":
      return [event.type, [event.form, event.lossBps, event.gainBps]];
    case "YieldBoundsSet":
      return [event.type, [event.inputForm, event.outputForm, event.minBps, event.maxBps]];
    case "DryBasisSet":
      return [event.type, [event.form, event.dryBasis]];
    case "LotsMinted":
      return [event.type, [event.custodian, event.firstLotId, event.deliveries.map((d) => [d.form, d.grams, d.quality, d.metadata, d.origin]), event.heads]];
    case "HandoverOffered":
    case "HandoverCancelled":
      return [event.type, [event.lotId, event.custodian, event.receiver, event.head]];
    case "HandoverRejected":
      return [event.type, [event.lotId, event.custodian, event.receiver, event.reason, event.head]];
    case "HandoverAccepted":
      return [event.type, [event.lotId, event.previousCustodian, event.custodian, event.gramsSent, event.gramsReceived, event.quality, event.head]];
    case "LotsDerived":
      return [
        event.type,
        [
          DERIVE_KIND_NUMBERS[event.kind],
          event.custodian,
          event.inputIds,
          event.inputHeads,
          event.firstOutputId,
          event.outputs.map((o) => [o.form, o.grams, o.quality, o.metadata]),
          event.ingredients.map((i) => [i.outputForm, i.grams, i.name]),
          event.outputHeads,
        ],
      ];
    case "EvidenceAttached":
      return [event.type, [event.lotId, event.by, event.evidence, event.head]];
    default:
      throw new Error(`the synthetic chain encodes lot registry events only, not ${event.type}`);
  }
}

/** A log as a node's `eth_getLogs` answer gives it. */
function toRpcLog(log: ChainLog): RpcLog {
  const quantity = (value: number) => `0x${value.toString(16)}`;
  return { address: log.address, topics: [...log.topics], data: log.data, blockNumber: quantity(log.blockNumber), blockHash: log.blockHash, transactionHash: log.transactionHash, logIndex: quantity(log.logIndex), removed: false };
}

/**
 * A node serving the synthetic chain's logs. Each log is encoded once and kept as the JSON text
 * `eth_getLogs` answers with, and a page is parsed and read as the JSON-RPC reader reads a node's
 * answer (`chainLogsOf`): the indexer gets what it gets from a real node, parsed on its thread, and
 * the chain costs a few bytes per log while it is served.
 */
export function syntheticChainReader(events: readonly IndexedEvent[], registry: string, chainId = 31337): ChainReader {
  const blocks: number[] = [];
  const answers: string[] = [];
  for (const [index, event] of events.entries()) {
    if (index > 0 && event.position === events[index - 1]!.position) continue;
    blocks.push(event.blockNumber);
    answers.push(JSON.stringify(toRpcLog(toChainLog(event, registry))));
  }
  const times = new Map(events.map((event) => [event.blockNumber, event.blockTime!]));
  const head = events.at(-1)?.blockNumber ?? 0;
  const firstAtOrAfter = (block: number) => {
    let low = 0;
    let high = blocks.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (blocks[middle]! < block) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  return {
    chainId: async () => chainId,
    blockNumber: async () => head,
    getLogs: async ({ fromBlock, toBlock }) => chainLogsOf(JSON.parse(`[${answers.slice(firstAtOrAfter(fromBlock), firstAtOrAfter(toBlock + 1)).join(",")}]`) as RpcLog[]),
    blockTimes: async (numbers) => new Map(numbers.map((number) => [number, times.get(number) ?? new Date(0)])),
  };
}
