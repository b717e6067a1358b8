import type { Response } from "express";
import { z } from "zod";
import type { Database } from "../db";
import { EpcisQueryParameterError, EPCIS_MEDIA_TYPE, exportLotEpcis, queryEpcisEvents } from "../epcis";
import { DagTooLargeError, MAX_READ_MODEL_ID, QUERY_LIMITS } from "../indexer/queries";
import { ApiError, badRequest, notFound } from "./problem";
import { defineRoute, type AnyRoute } from "./routes";

export type CreateEpcisRoutesParameters = {
  db: Database;
  chainId: bigint;
  /** The gateway's public base URL (no trailing slash): the identifiers of lots and members are under it. */
  publicBase: () => string;
};

const INT8_MAX = MAX_READ_MODEL_ID.toString();
const lotId = z
  .string()
  .regex(/^[1-9][0-9]{0,18}$/, "a lot id is a positive decimal integer")
  .refine((value) => value.length < 19 || (value.length === 19 && value <= INT8_MAX), "no lot has an id this large");
/** EPCIS times: ISO 8601 with a zone (`Z` or `+07:00`). */
const eventTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, "an ISO 8601 time with a zone, e.g. 2026-06-01T00:00:00Z")
  .refine((value) => !Number.isNaN(Date.parse(value)), "not a time")
  .transform((value) => new Date(value))
  .optional();
const list = (what: string) => z.string().min(1).max(20_000).optional().describe(what);

/** The query parameters `GET /epcis/events` understands; any other is refused by name. */
const eventsQuery = z.strictObject(
  {
    MATCH_epc: list("lot or GS1 Digital Link URIs, separated by |: events whose quantity lists name one of them (lots are class-level here)"),
    MATCH_anyEPCClass: list("lot or GS1 Digital Link URIs, separated by |: events whose quantityList, inputQuantityList or outputQuantityList names one of them"),
    GE_eventTime: eventTime,
    LT_eventTime: eventTime,
    EQ_bizStep: list("CBV business steps (bare words or their URIs), separated by | or ,"),
    perPage: z.coerce.number().int().min(1).max(QUERY_LIMITS.maxPage).optional(),
    nextPageToken: z.string().min(1).max(512).optional(),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown query parameter${issue.keys.length === 1 ? "" : "s"} ${issue.keys.map((key) => JSON.stringify(key)).join(", ")}: this interface answers MATCH_epc, MATCH_anyEPCClass, GE_eventTime, LT_eventTime, EQ_bizStep, perPage and nextPageToken`
        : undefined,
  },
);

/**
 * GS1 EPCIS 2.0 for trading partners (members, with their API token): a lot's whole history as an
 * EPCIS document, and a minimal SimpleEventQuery over every lot's events (docs/epcis.md).
 */
export function createEpcisRoutes({ db, chainId, publicBase }: CreateEpcisRoutesParameters): AnyRoute[] {
  const base = () => ({ publicBase: publicBase().replace(/\/+$/, ""), chainId });
  const send = (res: Response, body: unknown, headers: Record<string, string> = {}) => {
    res.status(200).set({ "GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0", ...headers }).type(EPCIS_MEDIA_TYPE).send(JSON.stringify(body));
  };
  return [
    defineRoute({
      method: "get",
      path: "/v1/lots/:id/epcis",
      summary: "a lot's whole history (with everything it was made from) as a GS1 EPCIS 2.0 JSON-LD document (application/ld+json)",
      auth: "member",
      params: z.object({ id: lotId }),
      responses: { 200: { description: "an EPCISDocument (application/ld+json)" }, 404: { description: "unknown lot" }, 422: { description: "the ancestry is too large for one document" } },
      handler: async ({ params }, _req, res) => {
        const document = await mapped(() => exportLotEpcis({ db, lotId: BigInt(params.id), ...base() }));
        if (!document) throw notFound(`lot ${params.id} not found`, { lotId: params.id });
        send(res, document);
      },
    }),
    defineRoute({
      method: "get",
      path: "/epcis/events",
      summary: "EPCIS 2.0 SimpleEventQuery: events by lot or product URI, event time and business step, in chain order, paged (Link rel=next)",
      auth: "member",
      query: eventsQuery,
      responses: { 200: { description: "an EPCISQueryDocument (application/ld+json); a Link header with rel=\"next\" when there is a next page" }, 400: { description: "a query parameter the interface cannot use (named in the message)" } },
      handler: async ({ query }, req, res) => {
        const answer = await mapped(() => queryEpcisEvents(db, base(), query));
        const headers: Record<string, string> = {};
        if (answer.nextPageToken) {
          const next = new URLSearchParams(Object.entries(req.query as Record<string, string>).filter(([key]) => key !== "nextPageToken"));
          next.set("nextPageToken", answer.nextPageToken);
          headers.link = `<${base().publicBase}/epcis/events?${next.toString()}>; rel="next"`;
        }
        send(res, answer.document, headers);
      },
    }),
  ];
}

/** The EPCIS module's errors in the one error shape. */
async function mapped<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof EpcisQueryParameterError) throw badRequest(error.shortMessage, { parameter: error.parameter });
    if (error instanceof DagTooLargeError) throw new ApiError(422, "too_large", `lot ${error.lotId} was made from more lots than one EPCIS document holds`, { maxLots: error.maxPathRows });
    throw error;
  }
}
