import type { Interface, LogDescription, Result } from "ethers";
import { LotRegistry__factory } from "../../../typechain-types";
import { encodeCheckpoint } from "../checkpoint";
import { IndexerDecodeError } from "../errors";
import { DERIVE_KINDS, type ChainLog, type EventMeta, type IndexedEvent, type RegistryEvent } from "./events";

export type DecodeLogsParameters = {
  /** The lot registry's address (it is also the membership registry). */
  lotRegistry: string;
  /** Block timestamps by block number, for `blockTime`. */
  blockTimes?: ReadonlyMap<number, Date> | undefined;
};

export type DecodeLogsReturnType = IndexedEvent[];
export type DecodeLogsErrorType = IndexerDecodeError;

const lotRegistryInterface: Interface = LotRegistry__factory.createInterface();

/**
 * Registry events the read model does not need: ERC-721 `Transfer` (custody is in the handover
 * events; a `LotMinted`'s custodian is read from the `Transfer` just before it), ERC-2309
 * `ConsecutiveTransfer` (`LotsMinted` says the same) and the observer wiring.
 */
const IGNORED = new Set(["Transfer", "ConsecutiveTransfer", "LotObserverSet", "Approval", "ApprovalForAll"]);

/**
 * Turns the registry's logs, in chain order, into typed events. Pure: no I/O. Logs from other
 * addresses are left out. A registry log the indexer does not know is an error (the contracts
 * changed and the indexer must learn the new event before it can go on).
 *
 * @throws {IndexerDecodeError} on an unknown or undecodable registry log.
 */
export function decodeLogs(logs: readonly ChainLog[], parameters: DecodeLogsParameters): DecodeLogsReturnType {
  const registry = parameters.lotRegistry.toLowerCase();
  const events: IndexedEvent[] = [];
  // `to` of the last mint Transfer per transaction and token, for LotMinted's custodian.
  const mintedTo = new Map<string, string>();
  for (const log of logs) {
    if (log.address.toLowerCase() !== registry) continue;
    const parsed = parse(log);
    const meta: EventMeta = {
      position: encodeCheckpoint(log),
      blockNumber: log.blockNumber,
      logIndex: log.logIndex,
      txHash: log.transactionHash.toLowerCase(),
      blockTime: parameters.blockTimes?.get(log.blockNumber) ?? null,
    };
    if (parsed.name === "Transfer") {
      const [from, to, tokenId] = [address(parsed.args[0]), address(parsed.args[1]), parsed.args[2] as bigint];
      if (from === ZERO_ADDRESS) mintedTo.set(`${meta.txHash}:${tokenId}`, to);
      continue;
    }
    if (IGNORED.has(parsed.name)) continue;
    const event = toRegistryEvent(parsed, log, meta, mintedTo);
    events.push({ ...event, ...meta } as IndexedEvent);
  }
  return events;
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

function parse(log: ChainLog): LogDescription {
  let parsed: LogDescription | null;
  try {
    parsed = lotRegistryInterface.parseLog({ topics: [...log.topics], data: log.data });
  } catch (error) {
    throw new IndexerDecodeError(`Cannot decode log ${log.logIndex} of block ${log.blockNumber}`, {
      cause: error,
      details: `tx ${log.transactionHash}, topic ${log.topics[0] ?? "(none)"}: ${(error as Error).message}`,
    });
  }
  if (!parsed) {
    throw new IndexerDecodeError(`Unknown event in log ${log.logIndex} of block ${log.blockNumber}`, {
      details: `tx ${log.transactionHash}, topic ${log.topics[0] ?? "(none)"} is not in the LotRegistry ABI`,
      metaMessages: ["The contract emits an event this indexer does not know: update the indexer, then rebuild."],
    });
  }
  return parsed;
}

function toRegistryEvent(parsed: LogDescription, log: ChainLog, meta: EventMeta, mintedTo: Map<string, string>): RegistryEvent {
  const a = parsed.args;
  switch (parsed.name) {
    case "MemberAdded":
      return { type: "MemberAdded", memberId: a.memberId, roles: Number(a.roles), country: country(a.country), metadata: hex(a.metadata) };
    case "AccountAdded":
      return { type: "AccountAdded", memberId: a.memberId, account: address(a.account) };
    case "AccountStatusChanged":
      return { type: "AccountStatusChanged", memberId: a.memberId, account: address(a.account), active: Boolean(a.active) };
    case "MemberStatusChanged":
      return { type: "MemberStatusChanged", memberId: a.memberId, active: Boolean(a.active) };
    case "RolesChanged":
      return { type: "RolesChanged", memberId: a.memberId, previousRoles: Number(a.previousRoles), roles: Number(a.roles) };
    case "MetadataChanged":
      return { type: "MetadataChanged", memberId: a.memberId, metadata: hex(a.metadata) };
    case "FormRegistered":
      return { type: "FormRegistered", form: Number(a.form), commodity: Number(a.commodity), toleranceBps: Number(a.toleranceBps), name: String(a.name) };
    case "FormToleranceChanged":
      return { type: "FormToleranceChanged", form: Number(a.form), toleranceBps: Number(a.toleranceBps) };
    case "YieldBoundsSet":
      return { type: "YieldBoundsSet", inputForm: Number(a.inputForm), outputForm: Number(a.outputForm), minBps: Number(a.minBps), maxBps: Number(a.maxBps) };
    case "LotMinted": {
      const lotId = a.lotId as bigint;
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
        deliveries: [{ form: Number(a.form), grams: a.grams, metadata: hex(a.metadata), origin: hex(a.origin) }],
        heads: [hex(a.head)],
      };
    }
    case "LotsMinted":
      return {
        type: "LotsMinted",
        custodian: address(a.custodian),
        firstLotId: a.firstLotId,
        deliveries: (a.deliveries as Result).map((delivery: Result) => ({
          form: Number(delivery.form),
          grams: delivery.grams as bigint,
          metadata: hex(delivery.metadata),
          origin: hex(delivery.origin),
        })),
        heads: (a.heads as Result).map(hex),
      };
    case "HandoverOffered":
    case "HandoverCancelled":
      return { type: parsed.name as "HandoverOffered" | "HandoverCancelled", lotId: a.lotId, custodian: address(a.custodian), receiver: address(a.receiver), head: hex(a.head) };
    case "HandoverRejected":
      return {
        type: "HandoverRejected",
        lotId: a.lotId,
        custodian: address(a.custodian),
        receiver: address(a.receiver),
        reason: Number(a.reason),
        head: hex(a.head),
      };
    case "HandoverAccepted":
      return {
        type: "HandoverAccepted",
        lotId: a.lotId,
        previousCustodian: address(a.previousCustodian),
        custodian: address(a.custodian),
        gramsSent: a.gramsSent,
        gramsReceived: a.gramsReceived,
        head: hex(a.head),
      };
    case "LotsDerived": {
      const kind = DERIVE_KINDS[Number(a.kind) as keyof typeof DERIVE_KINDS];
      if (!kind) throw new IndexerDecodeError(`LotsDerived with unknown kind ${a.kind}`, { details: `tx ${log.transactionHash}, log ${log.logIndex}` });
      return {
        type: "LotsDerived",
        kind,
        custodian: address(a.custodian),
        inputIds: [...(a.inputIds as Result)] as bigint[],
        inputHeads: (a.inputHeads as Result).map(hex),
        firstOutputId: a.firstOutputId,
        outputs: (a.outputs as Result).map((output: Result) => ({ form: Number(output.form), grams: output.grams as bigint, metadata: hex(output.metadata) })),
        outputHeads: (a.outputHeads as Result).map(hex),
      };
    }
    case "EvidenceAttached":
      return { type: "EvidenceAttached", lotId: a.lotId, by: address(a.by), evidence: hex(a.evidence), head: hex(a.head) };
    default:
      throw new IndexerDecodeError(`The indexer does not handle the registry's ${parsed.name} event`, {
        details: `tx ${log.transactionHash}, log ${log.logIndex} of block ${log.blockNumber}`,
        metaMessages: ["Teach src/indexer/indexing/decode.ts and project.ts this event, then rebuild the index."],
      });
  }
}

function address(value: unknown): string {
  return String(value).toLowerCase();
}

function hex(value: unknown): string {
  return String(value).toLowerCase();
}

/** bytes2 "0x4944" -> "ID". */
function country(value: unknown): string {
  return Buffer.from(String(value).slice(2), "hex").toString("latin1");
}
