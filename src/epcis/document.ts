import { FIRSTMILE_PREFIX, FIRSTMILE_VOCABULARY, type EpcisEvent } from "./mapHistory";

/** GS1's EPCIS 2.0 JSON-LD context, and firstmile's prefix for its own fields. */
export const EPCIS_CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", { [FIRSTMILE_PREFIX]: FIRSTMILE_VOCABULARY }] as const;

/** The media type of EPCIS 2.0 JSON-LD documents. */
export const EPCIS_MEDIA_TYPE = "application/ld+json";

export type EpcisDocument = {
  "@context": typeof EPCIS_CONTEXT;
  type: "EPCISDocument";
  schemaVersion: "2.0";
  creationDate: string;
  epcisBody: { eventList: EpcisEvent[] };
  [field: string]: unknown;
};

export type EpcisQueryDocument = {
  "@context": typeof EPCIS_CONTEXT;
  type: "EPCISQueryDocument";
  schemaVersion: "2.0";
  creationDate: string;
  epcisBody: { queryResults: { queryName: "SimpleEventQuery"; resultsBody: { eventList: EpcisEvent[] } } };
};

/** An EPCISDocument of `events` (`extra`: document-level `fm:` fields, e.g. the lot it describes). */
export function epcisDocument(events: readonly EpcisEvent[], creationDate: Date, extra: Record<`fm:${string}`, unknown> = {}): EpcisDocument {
  return { "@context": EPCIS_CONTEXT, type: "EPCISDocument", schemaVersion: "2.0", creationDate: creationDate.toISOString(), ...extra, epcisBody: { eventList: [...events] } };
}

/** The answer to a query (EPCIS 2.0 REST binding, SimpleEventQuery). */
export function epcisQueryDocument(events: readonly EpcisEvent[], creationDate: Date): EpcisQueryDocument {
  return {
    "@context": EPCIS_CONTEXT,
    type: "EPCISQueryDocument",
    schemaVersion: "2.0",
    creationDate: creationDate.toISOString(),
    epcisBody: { queryResults: { queryName: "SimpleEventQuery", resultsBody: { eventList: [...events] } } },
  };
}
