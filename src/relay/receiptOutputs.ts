import { getAddress, type Interface, type Log, type ParamType } from "ethers";
import { attestationRegistryInterface, ddsRegistryInterface, forwarderInterface, lotRegistryInterface, payoutRegistryInterface } from "../chain/contracts";

/**
 * What a mined transaction did for each request in it. The forwarder emits
 * `ExecutedForwardRequest(signer, nonce, success)` right after each call it makes, so the logs
 * between two of those events belong to the call the second one names: a batch's receipt splits
 * into one slice of logs per call, and a call the forwarder skipped (invalid when it ran: expired,
 * nonce already used) has no event at all.
 */
export const EXECUTED_TOPIC = forwarderInterface.getEvent("ExecutedForwardRequest")!.topicHash;
const LOTS_MINTED_TOPIC = lotRegistryInterface.getEvent("LotsMinted")!.topicHash;
const LOT_MINTED_TOPIC = lotRegistryInterface.getEvent("LotMinted")!.topicHash;
const LOTS_DERIVED_TOPIC = lotRegistryInterface.getEvent("LotsDerived")!.topicHash;
const ATTESTED_TOPIC = attestationRegistryInterface.getEvent("Attested")!.topicHash;
const REVOKED_TOPIC = attestationRegistryInterface.getEvent("Revoked")!.topicHash;

/** The minimum of a log this module reads (ethers' `Log` and raw JSON-RPC logs both fit). */
export type LogLike = Pick<Log, "address" | "topics" | "data">;

export type CallExecution = { success: boolean; logs: LogLike[] };

/**
 * Splits a receipt's logs by the forwarder's `ExecutedForwardRequest` events. Returns, by
 * `signer:nonce` (lower-case address, decimal nonce), whether the call succeeded and the logs it
 * emitted. Logs after the last event (none, from the forwarder) are dropped.
 */
export function splitLogsByCall(logs: readonly LogLike[], forwarder: string): Map<string, CallExecution> {
  const byCall = new Map<string, CallExecution>();
  const forwarderAddress = forwarder.toLowerCase();
  let pending: LogLike[] = [];
  for (const log of logs) {
    if (log.address.toLowerCase() === forwarderAddress && log.topics[0] === EXECUTED_TOPIC) {
      const signer = `0x${log.topics[1]!.slice(26)}`.toLowerCase();
      const data = log.data.slice(2);
      const nonce = BigInt(`0x${data.slice(0, 64)}`);
      const success = BigInt(`0x${data.slice(64, 128)}`) !== 0n;
      byCall.set(callKey(signer, nonce), { success, logs: success ? pending : [] });
      pending = [];
    } else {
      pending.push(log);
    }
  }
  return byCall;
}

export function callKey(signer: string, nonce: bigint): string {
  return `${signer.toLowerCase()}:${nonce}`;
}

/** A decoded event: its name and arguments as JSON-safe values. */
export type DecodedEvent = { contract: string; name: string; args: Record<string, unknown> };

/** What a request's status shows once mined. */
export type RequestOutputs = {
  /** Lots this request created (minted, or outputs of a split, merge or transform), in order. */
  lotIds?: string[];
  /** Their history heads after the call. */
  heads?: string[];
  /** Attestations this request made (`Attested` events), in request order. */
  uids?: string[];
  /** Attestations this request revoked (`Revoked` events). */
  revoked?: string[];
  /** Every event of its call, decoded (not for a request that shared its call with others). */
  events?: DecodedEvent[];
};

/**
 * A request's outputs from its call's logs. `offset`/`items` place a request that shared a
 * coalesced `mintBatch` with others: it gets only its own lots, not the whole call's events.
 * With `attestationRegistry`, that contract's events are decoded too: an attestation request's
 * uids, and the claims a lot call carried or credited (the registry observes lots). With
 * `ddsRegistry`, a recorded statement's `DdsReferenced`. With
 * `payoutRegistry`, a premium commitment's or payout run's event.
 */
export function outputsOf(
  logs: readonly LogLike[],
  registry: string,
  place: { offset: number; items: number; shared: boolean },
  attestationRegistry?: string,
  ddsRegistry?: string,
  payoutRegistry?: string,
): RequestOutputs {
  const payoutAddress = payoutRegistry?.toLowerCase();
  const registryAddress = registry.toLowerCase();
  const attestationAddress = attestationRegistry?.toLowerCase();
  const lotIds: string[] = [];
  const heads: string[] = [];
  const uids: string[] = [];
  const revoked: string[] = [];
  const events: DecodedEvent[] = [];
  for (const log of logs) {
    const fromRegistry = log.address.toLowerCase() === registryAddress;
    if (fromRegistry && log.topics[0] === LOTS_MINTED_TOPIC) {
      // LotsMinted(address indexed custodian, uint256 indexed firstLotId, Delivery[] deliveries, bytes32[] heads):
      // read the heads array straight from the data; the deliveries are what the request sent.
      const first = BigInt(log.topics[2]!);
      const data = log.data.slice(2);
      const headsAt = Number(BigInt(`0x${data.slice(64, 128)}`)) * 2;
      const count = Number(BigInt(`0x${data.slice(headsAt, headsAt + 64)}`));
      const from = place.shared ? place.offset : 0;
      const to = place.shared ? Math.min(count, place.offset + place.items) : count;
      for (let i = from; i < to; i++) {
        lotIds.push((first + BigInt(i)).toString());
        heads.push(`0x${data.slice(headsAt + 64 + i * 64, headsAt + 128 + i * 64)}`);
      }
      if (!place.shared) events.push({ contract: "LotRegistry", name: "LotsMinted", args: { custodian: getAddress(`0x${log.topics[1]!.slice(26)}`), firstLotId: first.toString(), count } });
      continue;
    }
    if (place.shared) continue;
    if (payoutAddress !== undefined && log.address.toLowerCase() === payoutAddress) {
      const payout = decodeLog(payoutRegistryInterface, "PayoutRegistry", log);
      if (payout) events.push(payout);
      continue;
    }
    if (attestationAddress !== undefined && log.address.toLowerCase() === attestationAddress) {
      const attestation = decodeLog(attestationRegistryInterface, "AttestationRegistry", log);
      if (!attestation) continue;
      events.push(attestation);
      if (log.topics[0] === ATTESTED_TOPIC) uids.push(String(attestation.args.uid));
      else if (log.topics[0] === REVOKED_TOPIC) revoked.push(String(attestation.args.uid));
      continue;
    }
    if (ddsRegistry !== undefined && log.address.toLowerCase() === ddsRegistry.toLowerCase()) {
      const statement = decodeLog(ddsRegistryInterface, "DdsRegistry", log);
      if (statement) events.push(statement);
      continue;
    }
    const decoded = fromRegistry ? decodeLog(lotRegistryInterface, "LotRegistry", log) : null;
    if (!decoded) continue;
    events.push(decoded);
    if (log.topics[0] === LOT_MINTED_TOPIC) {
      lotIds.push(String(decoded.args.lotId));
      heads.push(String(decoded.args.head));
    } else if (log.topics[0] === LOTS_DERIVED_TOPIC) {
      const first = BigInt(String(decoded.args.firstOutputId));
      (decoded.args.outputHeads as string[]).forEach((head, i) => {
        lotIds.push((first + BigInt(i)).toString());
        heads.push(head);
      });
    }
  }
  if (place.shared) return { lotIds, heads };
  return { lotIds, heads, ...(uids.length > 0 ? { uids } : {}), ...(revoked.length > 0 ? { revoked } : {}), events };
}

function decodeLog(contract: Interface, name: string, log: LogLike): DecodedEvent | null {
  let parsed: ReturnType<Interface["parseLog"]>;
  try {
    parsed = contract.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    return null;
  }
  if (!parsed) return null;
  const args: Record<string, unknown> = {};
  parsed.fragment.inputs.forEach((input, index) => {
    args[input.name] = jsonSafe(parsed.args[index], input);
  });
  return { contract: name, name: parsed.name, args };
}

/** A decoded ABI value as JSON, led by its type: arrays as arrays, structs as objects by field name, uints as decimal strings. */
function jsonSafe(value: unknown, type: ParamType): unknown {
  if (type.isArray()) return Array.from(value as ArrayLike<unknown>, (item) => jsonSafe(item, type.arrayChildren));
  if (type.isTuple()) {
    const items = value as ArrayLike<unknown>;
    return Object.fromEntries(type.components.map((component, index) => [component.name || String(index), jsonSafe(items[index], component)]));
  }
  return typeof value === "bigint" ? value.toString() : value;
}
