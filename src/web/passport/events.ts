import type { LotHistoryEvent } from "../../lots/historyHead";
import type { LotHistoryEventJson } from "./types";

/** An event from the twin or the read model that is not a well-formed `LotHistoryEvent`. */
export class PassportEventError extends Error {
  override name = "PassportEventError";
}

const KINDS = new Set(["minted", "offered", "cancelled", "rejected", "accepted", "split", "merged", "transformed", "derived", "evidence"]);

/**
 * The JSON form of an event from the read model's `lot_events` row (`kind`, `lot_id` and the
 * `fields` the head commits to). Only the committed fields are kept, so whatever the page shows
 * from an event is what the head check covers.
 */
export function eventJsonFromRow(lotId: string, kind: string, fields: Record<string, unknown>): LotHistoryEventJson {
  const f = fields;
  const s = (key: string) => String(f[key]);
  const n = (key: string) => Number(f[key]);
  switch (kind) {
    case "minted":
      return { kind, lotId, custodian: s("custodian"), form: n("form"), grams: s("grams"), quality: n("quality"), metadata: s("metadata"), origin: s("origin") };
    case "offered":
    case "cancelled":
      return { kind, lotId, custodian: s("custodian"), receiver: s("receiver") };
    case "rejected":
      return { kind, lotId, custodian: s("custodian"), receiver: s("receiver"), reason: n("reason") };
    case "accepted":
      return { kind, lotId, previousCustodian: s("previousCustodian"), custodian: s("custodian"), gramsSent: s("gramsSent"), gramsReceived: s("gramsReceived"), quality: n("quality") };
    case "split":
    case "merged":
    case "transformed":
      return { kind, lotId, firstOutputId: s("firstOutputId"), outputCount: s("outputCount") };
    case "derived":
      return {
        kind,
        lotId,
        custodian: s("custodian"),
        form: n("form"),
        grams: s("grams"),
        quality: n("quality"),
        metadata: s("metadata"),
        ingredients: s("ingredients"),
        inputIds: Array.isArray(f.inputIds) ? f.inputIds.map(String) : [],
        inputHeads: Array.isArray(f.inputHeads) ? f.inputHeads.map(String) : [],
      };
    case "evidence":
      return { kind, lotId, by: s("by"), evidence: s("evidence") };
    default:
      throw new PassportEventError(`lot ${lotId}: unknown event kind ${JSON.stringify(kind)}`);
  }
}

const big = (value: unknown, what: string): bigint => {
  if (typeof value !== "string" || !/^\d{1,78}$/.test(value)) throw new PassportEventError(`${what}: not a decimal integer: ${JSON.stringify(value)}`);
  return BigInt(value);
};
const text = (value: unknown, what: string): string => {
  if (typeof value !== "string") throw new PassportEventError(`${what}: not a string`);
  return value;
};
const int = (value: unknown, what: string): number => {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new PassportEventError(`${what}: not an integer`);
  return value;
};

/**
 * The `LotHistoryEvent` (bigints) of a JSON event, checking every field's type: the verifier reads
 * it from an untrusted gateway. Values out of range are refused later by `eventDigest`.
 */
export function eventFromJson(json: LotHistoryEventJson): LotHistoryEvent {
  const e = json as Record<string, unknown>;
  const kind = text(e.kind, "kind");
  if (!KINDS.has(kind)) throw new PassportEventError(`unknown event kind ${JSON.stringify(kind)}`);
  const lotId = big(e.lotId, "lotId");
  const at = (key: string) => `${kind} event of lot ${lotId}: ${key}`;
  switch (kind) {
    case "minted":
      return {
        kind,
        lotId,
        custodian: text(e.custodian, at("custodian")),
        form: int(e.form, at("form")),
        grams: big(e.grams, at("grams")),
        quality: int(e.quality, at("quality")),
        metadata: text(e.metadata, at("metadata")),
        origin: text(e.origin, at("origin")),
      };
    case "offered":
    case "cancelled":
      return { kind, lotId, custodian: text(e.custodian, at("custodian")), receiver: text(e.receiver, at("receiver")) };
    case "rejected":
      return { kind, lotId, custodian: text(e.custodian, at("custodian")), receiver: text(e.receiver, at("receiver")), reason: int(e.reason, at("reason")) };
    case "accepted":
      return {
        kind,
        lotId,
        previousCustodian: text(e.previousCustodian, at("previousCustodian")),
        custodian: text(e.custodian, at("custodian")),
        gramsSent: big(e.gramsSent, at("gramsSent")),
        gramsReceived: big(e.gramsReceived, at("gramsReceived")),
        quality: int(e.quality, at("quality")),
      };
    case "split":
    case "merged":
    case "transformed":
      return { kind, lotId, firstOutputId: big(e.firstOutputId, at("firstOutputId")), outputCount: big(e.outputCount, at("outputCount")) };
    case "derived": {
      if (!Array.isArray(e.inputIds) || !Array.isArray(e.inputHeads)) throw new PassportEventError(at("inputIds and inputHeads must be arrays"));
      return {
        kind,
        lotId,
        custodian: text(e.custodian, at("custodian")),
        form: int(e.form, at("form")),
        grams: big(e.grams, at("grams")),
        quality: int(e.quality, at("quality")),
        metadata: text(e.metadata, at("metadata")),
        ingredients: text(e.ingredients, at("ingredients")),
        inputIds: e.inputIds.map((id, i) => big(id, at(`inputIds[${i}]`))),
        inputHeads: e.inputHeads.map((head, i) => text(head, at(`inputHeads[${i}]`))),
      };
    }
    default:
      return { kind: "evidence", lotId, by: text(e.by, at("by")), evidence: text(e.evidence, at("evidence")) };
  }
}

/** What a lot's events say about it now: the values the page shows. */
export type LotStateFromEvents = {
  form: number;
  grams: bigint;
  /** Basis points of the weight (0 = not measured), as measured last. */
  quality: number;
  custodian: string;
  creator: string;
  status: "active" | "in_transit" | "consumed";
  metadata: string;
  origin: string | null;
  /** Inputs it was derived from (empty for a delivery). */
  inputIds: bigint[];
  /** The operation that consumed it, if any. */
  consumedBy: { kind: "split" | "merged" | "transformed"; firstOutputId: bigint; outputCount: bigint } | null;
};

/** Folds a lot's events into its current state (as the contract keeps it). */
export function lotStateFromEvents(events: readonly LotHistoryEvent[]): LotStateFromEvents {
  const [genesis] = events;
  if (!genesis || (genesis.kind !== "minted" && genesis.kind !== "derived")) throw new PassportEventError("a lot's events start with minted or derived");
  const state: LotStateFromEvents = {
    form: genesis.form,
    grams: genesis.grams,
    quality: genesis.quality,
    custodian: genesis.custodian.toLowerCase(),
    creator: genesis.custodian.toLowerCase(),
    status: "active",
    metadata: genesis.metadata,
    origin: genesis.kind === "minted" ? genesis.origin : null,
    inputIds: genesis.kind === "derived" ? [...genesis.inputIds] : [],
    consumedBy: null,
  };
  for (const event of events.slice(1)) {
    switch (event.kind) {
      case "offered":
        state.status = "in_transit";
        break;
      case "cancelled":
      case "rejected":
        state.status = "active";
        break;
      case "accepted":
        state.status = "active";
        state.custodian = event.custodian.toLowerCase();
        // A handover never adds mass: the lighter of the sent and received weights.
        state.grams = event.gramsReceived < event.gramsSent ? event.gramsReceived : event.gramsSent;
        state.quality = event.quality;
        break;
      case "split":
      case "merged":
      case "transformed":
        state.status = "consumed";
        state.consumedBy = { kind: event.kind, firstOutputId: event.firstOutputId, outputCount: event.outputCount };
        break;
      default:
        break;
    }
  }
  return state;
}
