import { ZeroHash, id } from "ethers";
import { encodeCheckpoint, type ChainLog, type ChainReader, type IndexedEvent } from "../../src/indexer";
import type { DerivedOutput, RegistryEvent } from "../../src/indexer/indexing/events";
import { eventDigest, foldHead, type LotHistoryEvent } from "../../src/lots/historyHead";
import { Commodity, FORMS, YIELDS, FormId, formByKey } from "../../src/lots/forms";
import { Role } from "../../src/membership/roles";
import { LotRegistry__factory } from "../../typechain-types";

type LotState = { head: string; custodian: string; grams: bigint; form: number; receiver: string | null };

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
    for (const bounds of YIELDS) {
      this.emit({ type: "YieldBoundsSet", inputForm: formByKey(bounds.from).id, outputForm: formByKey(bounds.to).id, minBps: bounds.minBps, maxBps: bounds.maxBps });
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

  mint(custodian: string, deliveries: Array<{ form: number; grams: bigint }>): bigint[] {
    this.nextBlock();
    const firstLotId = this.reserve(custodian, deliveries.length);
    const heads: string[] = [];
    const full = deliveries.map((delivery, index) => {
      const lotId = firstLotId + BigInt(index);
      const metadata = id(`metadata ${lotId}`);
      const origin = id(`origin ${lotId}`);
      const head = this.fold(ZeroHash, { kind: "minted", lotId, custodian, form: delivery.form, grams: delivery.grams, metadata, origin });
      heads.push(head);
      this.lots.set(lotId, { head, custodian, grams: delivery.grams, form: delivery.form, receiver: null });
      return { ...delivery, metadata, origin };
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

  accept(lotId: bigint, gramsReceived: bigint): void {
    const lot = this.lots.get(lotId)!;
    const previous = lot.custodian;
    const receiver = lot.receiver!;
    lot.head = this.fold(lot.head, { kind: "accepted", lotId, previousCustodian: previous, custodian: receiver, gramsSent: lot.grams, gramsReceived });
    this.nextBlock();
    this.emit({ type: "HandoverAccepted", lotId, previousCustodian: previous, custodian: receiver, gramsSent: lot.grams, gramsReceived, head: lot.head });
    Object.assign(lot, { custodian: receiver, grams: gramsReceived, receiver: null });
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
    return this.derive(6, [lotId], grams.map((g) => ({ form: lot.form, grams: g })));
  }

  merge(lotIds: bigint[]): bigint {
    const form = this.lots.get(lotIds[0]!)!.form;
    const grams = lotIds.reduce((sum, lotId) => sum + this.lots.get(lotId)!.grams, 0n);
    return this.derive(7, lotIds, [{ form, grams }])[0]!;
  }

  transform(inputIds: bigint[], outputs: Array<{ form: number; grams: bigint }>): bigint[] {
    return this.derive(8, inputIds, outputs);
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

  private derive(kindNumber: 6 | 7 | 8, inputIds: bigint[], outputs: Array<{ form: number; grams: bigint }>): bigint[] {
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
    const full: DerivedOutput[] = outputs.map((output, index) => ({ ...output, metadata: id(`metadata ${firstOutputId + BigInt(index)}`) }));
    const outputHeads = full.map((output, index) => {
      const lotId = firstOutputId + BigInt(index);
      const head = this.fold(ZeroHash, { kind: "derived", lotId, custodian, form: output.form, grams: output.grams, metadata: output.metadata, inputIds, inputHeads });
      this.lots.set(lotId, { head, custodian, grams: output.grams, form: output.form, receiver: null });
      return head;
    });
    this.emit({ type: "LotsDerived", kind, custodian, inputIds, inputHeads, firstOutputId, outputs: full, outputHeads });
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

/** The log the registry would have emitted for a decoded event (the decoder's inverse). */
export function toChainLog(event: IndexedEvent, registry: string): ChainLog {
  const [name, values] = eventArguments(event);
  const encoded = registryInterface.encodeEventLog(name, values);
  return {
    address: registry,
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
    case "LotsMinted":
      return [event.type, [event.custodian, event.firstLotId, event.deliveries.map((d) => [d.form, d.grams, d.metadata, d.origin]), event.heads]];
    case "HandoverOffered":
    case "HandoverCancelled":
      return [event.type, [event.lotId, event.custodian, event.receiver, event.head]];
    case "HandoverRejected":
      return [event.type, [event.lotId, event.custodian, event.receiver, event.reason, event.head]];
    case "HandoverAccepted":
      return [event.type, [event.lotId, event.previousCustodian, event.custodian, event.gramsSent, event.gramsReceived, event.head]];
    case "LotsDerived":
      return [
        event.type,
        [
          DERIVE_KIND_NUMBERS[event.kind],
          event.custodian,
          event.inputIds,
          event.inputHeads,
          event.firstOutputId,
          event.outputs.map((o) => [o.form, o.grams, o.metadata]),
          event.outputHeads,
        ],
      ];
    case "EvidenceAttached":
      return [event.type, [event.lotId, event.by, event.evidence, event.head]];
    default:
      throw new Error(`the synthetic chain encodes lot registry events only, not ${event.type}`);
  }
}

/** A node serving the synthetic chain's logs (encoded once), for indexing without anvil. */
export function syntheticChainReader(events: readonly IndexedEvent[], registry: string, chainId = 31337): ChainReader {
  const logs = events.filter((event, index) => index === 0 || event.position !== events[index - 1]!.position).map((event) => toChainLog(event, registry));
  const times = new Map(events.map((event) => [event.blockNumber, event.blockTime!]));
  const head = events.at(-1)?.blockNumber ?? 0;
  const firstAtOrAfter = (block: number) => {
    let low = 0;
    let high = logs.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (logs[middle]!.blockNumber < block) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  return {
    chainId: async () => chainId,
    blockNumber: async () => head,
    getLogs: async ({ fromBlock, toBlock }) => logs.slice(firstAtOrAfter(fromBlock), firstAtOrAfter(toBlock + 1)),
    blockTimes: async (numbers) => new Map(numbers.map((number) => [number, times.get(number) ?? new Date(0)])),
  };
}
