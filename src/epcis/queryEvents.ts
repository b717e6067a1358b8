import { createHash } from "node:crypto";
import type { Database } from "../db";
import { BaseError } from "../errors";
import {
  epcisRecordsOfAnchors,
  findEpcisEventAnchors,
  fitsReadModelId,
  lotIdsOfProducts,
  OBJECT_EVENT_KINDS,
  OPERATION_KINDS,
  QUERY_LIMITS,
  readModelSnapshot,
  type ObjectEventKind,
  type OperationKind,
} from "../indexer/queries";
import { epcisQueryDocument, type EpcisQueryDocument } from "./document";
import { parseLotIdentifier, type IdentifierBase } from "./identifiers";
import { BIZ_STEPS, epcisEventsOf } from "./mapHistory";

/** A query parameter EPCIS would answer with a QueryParameterException (HTTP 400). */
export class EpcisQueryParameterError extends BaseError {
  override name = "EpcisQueryParameterError";
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
  }
}

/** The SimpleEventQuery parameters this gateway answers (EPCIS 2.0 §8.2.7.1), already read as text. */
export type EpcisEventsQuery = {
  MATCH_epc?: string | undefined;
  MATCH_anyEPCClass?: string | undefined;
  GE_eventTime?: Date | undefined;
  LT_eventTime?: Date | undefined;
  EQ_bizStep?: string | undefined;
  perPage?: number | undefined;
  nextPageToken?: string | undefined;
};

export type QueryEpcisEventsReturnType = { document: EpcisQueryDocument; nextPageToken: string | null };

/** Most identifiers one MATCH_ parameter may list. */
export const MAX_MATCH_VALUES = 100;
export const DEFAULT_PER_PAGE = 30;

const CBV_BIZ_STEP = /^(?:https:\/\/ref\.gs1\.org\/cbv\/BizStep-|urn:epcglobal:cbv:bizstep:)?([a-z_]+)$/;
const KNOWN_BIZ_STEPS = new Set([
  "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning", "creating_class_instance", "cycle_counting", "decommissioning",
  "departing", "destroying", "disassembling", "dispensing", "encoding", "entering_exiting", "holding", "inspecting", "installing", "killing", "loading",
  "other", "packing", "picking", "receiving", "removing", "repackaging", "repairing", "replacing", "reserving", "retail_selling", "shipping",
  "staging_outbound", "stock_taking", "stocking", "storing", "transporting", "unloading", "unpacking", "void_shipping", "sensor_reporting", "sampling",
]);

/** Values of a list parameter: separated by `|` (as the EPCIS 2.0 REST binding does) or commas for words. */
function listOf(parameter: string, text: string, commas: boolean): string[] {
  const values = text.split(commas ? /[|,]/ : /\|/).map((value) => value.trim());
  if (values.some((value) => value === "")) throw new EpcisQueryParameterError(parameter, "an empty value in the list");
  if (values.length > MAX_MATCH_VALUES) throw new EpcisQueryParameterError(parameter, `at most ${MAX_MATCH_VALUES} values`);
  return values;
}

/** The event kinds a list of CBV business steps selects (a valid step this gateway never records selects nothing). */
export function kindsOfBizSteps(text: string | undefined): { objectKinds: ObjectEventKind[]; operationKinds: OperationKind[] } {
  if (text === undefined) return { objectKinds: [...OBJECT_EVENT_KINDS], operationKinds: [...OPERATION_KINDS] };
  const steps = listOf("EQ_bizStep", text, true).map((value) => {
    const step = CBV_BIZ_STEP.exec(value)?.[1];
    if (step === undefined || !KNOWN_BIZ_STEPS.has(step)) throw new EpcisQueryParameterError("EQ_bizStep", `${JSON.stringify(value.slice(0, 80))} is not a CBV business step (e.g. shipping, receiving, commissioning)`);
    return step;
  });
  const selected = (kind: keyof typeof BIZ_STEPS) => steps.includes(BIZ_STEPS[kind]);
  return { objectKinds: OBJECT_EVENT_KINDS.filter(selected), operationKinds: OPERATION_KINDS.filter(selected) };
}

/**
 * `GET /epcis/events`: the events matching the query, in chain order, a page at a time. Lots are
 * class-level quantities here, so `MATCH_epc` and `MATCH_anyEPCClass` both match the lot and
 * product URIs of `quantityList`, `inputQuantityList` and `outputQuantityList` (of any host).
 *
 * @throws {EpcisQueryParameterError} for a value the query cannot use (the route answers 400).
 */
export async function queryEpcisEvents(db: Database, base: IdentifierBase, query: EpcisEventsQuery, now = new Date()): Promise<QueryEpcisEventsReturnType> {
  const perPage = query.perPage ?? DEFAULT_PER_PAGE;
  if (!Number.isSafeInteger(perPage) || perPage < 1 || perPage > QUERY_LIMITS.maxPage) throw new EpcisQueryParameterError("perPage", `a whole number from 1 to ${QUERY_LIMITS.maxPage}`);
  if (query.GE_eventTime && query.LT_eventTime && query.GE_eventTime >= query.LT_eventTime) throw new EpcisQueryParameterError("LT_eventTime", "must be later than GE_eventTime");
  const { objectKinds, operationKinds } = kindsOfBizSteps(query.EQ_bizStep);
  const identifiers = [
    ...(query.MATCH_epc === undefined ? [] : listOf("MATCH_epc", query.MATCH_epc, false).map((value) => ["MATCH_epc", value] as const)),
    ...(query.MATCH_anyEPCClass === undefined ? [] : listOf("MATCH_anyEPCClass", query.MATCH_anyEPCClass, false).map((value) => ["MATCH_anyEPCClass", value] as const)),
  ].map(([parameter, value]) => {
    const parsed = parseLotIdentifier(value);
    if (!parsed) throw new EpcisQueryParameterError(parameter, `${JSON.stringify(value.slice(0, 120))} is neither a lot URI (…/l/{lotId}) nor a GS1 Digital Link URI (…/01/{gtin}/10/{batch})`);
    return parsed;
  });
  // The query's own fingerprint: a page token only goes on with the query that handed it out.
  const fingerprint = createHash("sha256")
    .update(JSON.stringify([query.MATCH_epc, query.MATCH_anyEPCClass, query.GE_eventTime?.toISOString(), query.LT_eventTime?.toISOString(), query.EQ_bizStep]))
    .digest("base64url")
    .slice(0, 16);
  const after = query.nextPageToken === undefined ? undefined : readPageToken(query.nextPageToken, fingerprint);

  return readModelSnapshot(db, async (tx) => {
    let lotIds: string[] | undefined;
    if (identifiers.length > 0) {
      const products = identifiers.flatMap((id) => (id.kind === "product" ? [{ gtin: id.gtin14, batch: id.batch }] : []));
      // A lot id beyond the read model's int8 names no lot.
      const lots = identifiers.flatMap((id) => (id.kind === "lot" && fitsReadModelId(BigInt(id.lotId)) ? [id.lotId] : []));
      lotIds = [...new Set([...lots, ...(await lotIdsOfProducts(tx, products))])];
    }
    const anchors = lotIds !== undefined && lotIds.length === 0 ? [] : await findEpcisEventAnchors(tx, { lotIds, objectKinds, operationKinds, from: query.GE_eventTime, to: query.LT_eventTime, after, limit: perPage });
    const page = anchors.slice(0, perPage);
    const records = await epcisRecordsOfAnchors(tx, page);
    const byKey = new Map(epcisEventsOf(records, base).map((keyed) => [keyed.key, keyed.event]));
    const events = page.map((anchor) => byKey.get(`${anchor.lotId}:${anchor.seq}`)).filter((event) => event !== undefined);
    const last = page.at(-1);
    const nextPageToken = anchors.length > perPage && last ? pageToken(fingerprint, last.position, last.lotId) : null;
    return { document: epcisQueryDocument(events, now), nextPageToken };
  });
}

function pageToken(fingerprint: string, position: string, lotId: string): string {
  return Buffer.from(JSON.stringify(["epcis", fingerprint, position, lotId])).toString("base64url");
}

function readPageToken(token: string, fingerprint: string): { position: string; lotId: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parsed = null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || parsed[0] !== "epcis" || typeof parsed[2] !== "string" || typeof parsed[3] !== "string" || !/^\d{24}$/.test(parsed[2]) || !/^\d{1,19}$/.test(parsed[3])) {
    throw new EpcisQueryParameterError("nextPageToken", "not a page token this gateway handed out");
  }
  if (parsed[1] !== fingerprint) throw new EpcisQueryParameterError("nextPageToken", "the token belongs to a query with other parameters: repeat that query's parameters with it");
  return { position: parsed[2], lotId: parsed[3] };
}
