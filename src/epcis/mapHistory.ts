import { BaseError } from "../errors";
import type { EpcisRecords, LotEventRecord } from "../indexer/queries";
import { formById } from "../lots/forms";
import { attestationUri, digitalLinkUri, epcisEventId, lotUri, memberUri, type IdentifierBase } from "./identifiers";

/** The read model's events do not make a well-formed history (a gap, an event without a block time). */
export class EpcisMappingError extends BaseError {
  override name = "EpcisMappingError";
}

/** The prefix of firstmile's own fields in an EPCIS event (a JSON-LD term of the document's context). */
export const FIRSTMILE_PREFIX = "fm";
export const FIRSTMILE_VOCABULARY = "urn:firstmile:epcis:";

export type QuantityElement = { epcClass: string; quantity: number; uom: "KGM" };
type Party = { type: "owning_party" | "possessing_party"; source?: string; destination?: string };

/** An EPCIS 2.0 event as JSON-LD (the GS1 context names its terms; `fm:` fields are firstmile's). */
export type EpcisEvent = {
  type: "ObjectEvent" | "TransformationEvent";
  eventTime: string;
  eventTimeZoneOffset: "+00:00";
  eventID: string;
  [field: string]: unknown;
};

/** An event and the read-model row it is anchored at (`{lotId}:{seq}`; an operation at its first output's `derived` row). */
export type KeyedEpcisEvent = { key: string; position: { blockNumber: number; logIndex: number; lotId: bigint }; event: EpcisEvent };

/** CBV business steps and dispositions by event kind (docs/epcis.md has the table). */
export const BIZ_STEPS = {
  minted: "commissioning",
  offered: "shipping",
  cancelled: "void_shipping",
  accepted: "receiving",
  rejected: "receiving",
  evidence: "inspecting",
  split: "repackaging",
  merged: "repackaging",
  transformed: "commissioning",
} as const;

/**
 * The EPCIS events of the subject lots' history, in chain order: each lot's own events as
 * ObjectEvents (mint: ADD `commissioning`; offer: `shipping`; cancel: `void_shipping`; accept and
 * reject: `receiving`, a rejection with disposition `non_conformant`; evidence: `inspecting`), and
 * every split, merge or transform that consumed a subject lot as one TransformationEvent with
 * its inputs' and outputs' quantities (kg). Lots are class-level quantities (`quantityList`);
 * parties are members; no farmer, plot or origin commitment is named.
 *
 * @throws {EpcisMappingError} when an event has no block time or an operation's output is missing.
 */
export function epcisEventsOf(records: EpcisRecords, base: IdentifierBase): KeyedEpcisEvent[] {
  const byLot = new Map<string, LotEventRecord[]>();
  for (const event of records.events) byLot.set(event.lotId, [...(byLot.get(event.lotId) ?? []), event]);
  for (const events of byLot.values()) events.sort((a, b) => a.seq - b.seq);
  const subjects = new Set(records.subjectLotIds);

  const classOf = (lotId: string) => {
    const product = records.products.get(lotId);
    return product ? digitalLinkUri(base.publicBase, product.gtin, product.batch) : lotUri(base.publicBase, lotId);
  };
  const party = (account: string) => memberUri(base, records.members.get(account.toLowerCase()), account);
  const quantity = (lotId: string, grams: bigint): QuantityElement => ({ epcClass: classOf(lotId), quantity: kilograms(grams), uom: "KGM" });
  const certificationInfo = (lotIds: readonly string[]) => {
    const uris = [...new Set(lotIds.flatMap((lotId) => records.certifications.get(lotId) ?? []))].map((uid) => attestationUri(base, uid));
    return uris.length > 0 ? { certificationInfo: uris } : {};
  };
  const timeOf = (event: LotEventRecord) => {
    if (event.blockTime === null) throw new EpcisMappingError(`lot ${event.lotId} event ${event.seq}: the read model has no block time for block ${event.blockNumber}`);
    return event.blockTime;
  };
  const header = (event: LotEventRecord, type: EpcisEvent["type"], lotId = event.lotId): EpcisEvent => ({
    type,
    eventTime: timeOf(event),
    eventTimeZoneOffset: "+00:00",
    eventID: epcisEventId(base.chainId, event.txHash, event.logIndex, lotId),
  });
  const onChain = (event: LotEventRecord) => ({ "fm:transaction": event.txHash, "fm:logIndex": event.logIndex, "fm:historyHead": event.head });
  const formFields = (formId: number, quality: number) => {
    const form = formById(formId);
    return { "fm:form": form?.key ?? `form-${formId}`, ...(form ? { "fm:commodity": form.commodity } : {}), "fm:qualityBps": quality };
  };
  const transfer = (from: string, to: string) => ({
    sourceList: (["owning_party", "possessing_party"] as const).map((type): Party => ({ type, source: party(from) })),
    destinationList: (["owning_party", "possessing_party"] as const).map((type): Party => ({ type, destination: party(to) })),
  });

  const out: KeyedEpcisEvent[] = [];
  const push = (event: LotEventRecord, epcis: EpcisEvent) =>
    out.push({ key: `${event.lotId}:${event.seq}`, position: { blockNumber: event.blockNumber, logIndex: event.logIndex, lotId: BigInt(event.lotId) }, event: epcis });
  // Operations, grouped by (transaction, first output): a merge consumes several inputs in one call.
  const operations = new Map<string, { kind: string; firstOutputId: bigint; outputCount: bigint; inputs: Array<{ lotId: string; grams: bigint }> }>();

  for (const lotId of subjects) {
    const events = byLot.get(lotId) ?? [];
    let grams = 0n;
    for (const event of events) {
      const f = event.fields;
      switch (event.kind) {
        case "minted":
          grams = BigInt(String(f.grams));
          push(event, {
            ...header(event, "ObjectEvent"),
            action: "ADD",
            bizStep: BIZ_STEPS.minted,
            disposition: "active",
            quantityList: [quantity(lotId, grams)],
            ...certificationInfo([lotId]),
            ilmd: formFields(Number(f.form), Number(f.quality)),
            "fm:custodian": party(String(f.custodian)),
            ...onChain(event),
          });
          break;
        case "derived":
          grams = BigInt(String(f.grams));
          break;
        case "offered":
        case "cancelled":
          push(event, {
            ...header(event, "ObjectEvent"),
            action: "OBSERVE",
            bizStep: BIZ_STEPS[event.kind],
            disposition: event.kind === "offered" ? "in_transit" : "active",
            quantityList: [quantity(lotId, grams)],
            ...transfer(String(f.custodian), String(f.receiver)),
            ...onChain(event),
          });
          break;
        case "rejected":
          push(event, {
            ...header(event, "ObjectEvent"),
            action: "OBSERVE",
            bizStep: BIZ_STEPS.rejected,
            disposition: "non_conformant",
            quantityList: [quantity(lotId, grams)],
            ...transfer(String(f.custodian), String(f.receiver)),
            "fm:rejectionReason": Number(f.reason),
            ...onChain(event),
          });
          break;
        case "accepted": {
          const sent = BigInt(String(f.gramsSent));
          const received = BigInt(String(f.gramsReceived));
          // A handover never adds mass: the lot holds the lighter of the two weights from here on.
          grams = received < sent ? received : sent;
          push(event, {
            ...header(event, "ObjectEvent"),
            action: "OBSERVE",
            bizStep: BIZ_STEPS.accepted,
            disposition: "in_progress",
            quantityList: [quantity(lotId, grams)],
            ...transfer(String(f.previousCustodian), String(f.custodian)),
            "fm:kilogramsSent": kilograms(sent),
            "fm:kilogramsReceived": kilograms(received),
            "fm:qualityBps": Number(f.quality),
            ...onChain(event),
          });
          break;
        }
        case "evidence":
          push(event, {
            ...header(event, "ObjectEvent"),
            action: "OBSERVE",
            bizStep: BIZ_STEPS.evidence,
            quantityList: [quantity(lotId, grams)],
            "fm:evidence": String(f.evidence),
            "fm:attachedBy": party(String(f.by)),
            ...onChain(event),
          });
          break;
        case "split":
        case "merged":
        case "transformed": {
          const key = `${event.txHash}:${String(f.firstOutputId)}`;
          const operation = operations.get(key) ?? { kind: event.kind, firstOutputId: BigInt(String(f.firstOutputId)), outputCount: BigInt(String(f.outputCount)), inputs: [] };
          operation.inputs.push({ lotId, grams });
          operations.set(key, operation);
          grams = 0n;
          break;
        }
        default:
          throw new EpcisMappingError(`lot ${lotId} event ${event.seq}: unknown kind ${JSON.stringify(event.kind)}`);
      }
    }
  }

  for (const operation of operations.values()) {
    const outputs: LotEventRecord[] = [];
    for (let i = 0n; i < operation.outputCount; i++) {
      const outputId = (operation.firstOutputId + i).toString();
      const genesis = byLot.get(outputId)?.find((event) => event.kind === "derived");
      if (!genesis) throw new EpcisMappingError(`the ${operation.kind} operation with first output ${operation.firstOutputId} has no derived event for output ${outputId}`);
      outputs.push(genesis);
    }
    const anchor = outputs[0]!;
    // Inputs in the order the call named them (every output's `inputIds`).
    const order = (Array.isArray(anchor.fields.inputIds) ? anchor.fields.inputIds : []).map(String);
    const inputs = [...operation.inputs].sort((a, b) => order.indexOf(a.lotId) - order.indexOf(b.lotId));
    push(anchor, {
      ...header(anchor, "TransformationEvent", anchor.lotId),
      inputQuantityList: inputs.map((input) => quantity(input.lotId, input.grams)),
      outputQuantityList: outputs.map((output) => quantity(output.lotId, BigInt(String(output.fields.grams)))),
      bizStep: BIZ_STEPS[operation.kind as "split" | "merged" | "transformed"],
      disposition: "active",
      ...certificationInfo(outputs.map((output) => output.lotId)),
      ilmd: formFields(Number(anchor.fields.form), Number(anchor.fields.quality)),
      "fm:operation": operation.kind,
      "fm:custodian": party(String(anchor.fields.custodian)),
      "fm:outputForms": outputs.map((output) => formById(Number(output.fields.form))?.key ?? `form-${String(output.fields.form)}`),
      ...onChain(anchor),
    });
  }

  return out.sort((a, b) => a.position.blockNumber - b.position.blockNumber || a.position.logIndex - b.position.logIndex || (a.position.lotId < b.position.lotId ? -1 : a.position.lotId > b.position.lotId ? 1 : 0));
}

/** Grams as kilograms: exact decimal text (at most 3 decimals), then a JSON number. */
export function kilograms(grams: bigint): number {
  const text = grams.toString().padStart(4, "0");
  return Number(`${text.slice(0, -3)}.${text.slice(-3)}`);
}
