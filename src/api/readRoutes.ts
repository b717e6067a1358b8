import { z } from "zod";
import type { Queryable } from "../db";
import { Commodity, type CommodityName } from "../lots/forms";
import {
  DagTooLargeError,
  DateRangeError,
  getLot,
  getLotAttestations,
  getLotCarriedClaims,
  getLotDag,
  getLotHistory,
  getMember,
  InvalidCursorError,
  listLots,
  MAX_READ_MODEL_ID,
  memberDeliveriesByDay,
  memberAttestations,
  memberCredits,
  memberExists,
  memberStockByForm,
  QUERY_LIMITS,
  type DagDirection,
} from "../indexer/queries";
import { ApiError, badRequest, notFound } from "./problem";
import { defineRoute, type AnyRoute } from "./routes";

const INT8_MAX = MAX_READ_MODEL_ID.toString();

/** A lot or member id in the path: a positive decimal integer that fits the read model (int8). */
const id = (what: string) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,18}$/, `a ${what} id is a positive decimal integer`)
    // Compared as digits: the regex may have failed already (zod runs every check).
    .refine((value) => value.length < 19 || (value.length === 19 && value <= INT8_MAX), `no ${what} has an id this large`);

const idParams = (what: string) => z.object({ id: id(what) });
const limit = z.coerce.number().int().min(1).max(QUERY_LIMITS.maxPage).optional();
const cursor = z.string().min(1).max(512).optional();
const commodity = z.enum(Object.keys(Commodity) as [CommodityName, ...CommodityName[]]).optional();
const form = z.coerce.number().int().min(1).max(255).optional();
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date YYYY-MM-DD").refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), "not a date");
const instant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2}))?$/, "expected a date or an ISO 8601 time with zone")
  .refine((value) => !Number.isNaN(Date.parse(value)), "not a date")
  .transform((value) => new Date(value.length === 10 ? `${value}T00:00:00Z` : value))
  .optional();

const lotFilters = z.object({
  commodity,
  form,
  status: z.enum(["active", "in_transit", "consumed"]).optional(),
  genesis: z.enum(["minted", "split", "merged", "transformed"]).optional(),
  /** Created at or after (a date is its UTC midnight). */
  from: instant,
  /** Created before. */
  to: instant,
  cursor,
  limit,
});

export type CreateReadRoutesParameters = { db: Queryable };

/**
 * The read model over HTTP for members (buyers, certifiers, auditors): lots with their history,
 * ancestry and descendants, members and their views. Every list has a cursor and a hard limit;
 * unknown ids answer 404 naming the id, malformed ids 400. Mount with the gateway's other routes.
 */
export function createReadRoutes({ db }: CreateReadRoutesParameters): AnyRoute[] {
  const lotNotFound = (lotId: string) => notFound(`lot ${lotId} not found`, { lotId });
  const memberNotFound = (memberId: string) => notFound(`member ${memberId} not found`, { memberId });

  const dagRoute = (direction: DagDirection, summary: string) =>
    defineRoute({
      method: "get",
      path: `/v1/lots/:id/${direction === "ancestors" ? "ancestry" : "descendants"}`,
      summary,
      auth: "member",
      params: idParams("lot"),
      query: z.object({ maxDepth: z.coerce.number().int().min(1).max(QUERY_LIMITS.maxDepth).optional(), cursor, limit }),
      responses: { 200: { description: "the DAG's lots by depth, with paths, shares and the grams along the edges" }, 404: { description: "unknown lot" } },
      handler: async ({ params, query }) =>
        answer(async () => {
          const dag = await getLotDag(db, BigInt(params.id), { direction, ...query });
          if (!dag) throw lotNotFound(params.id);
          return dag;
        }),
    });

  return [
    defineRoute({
      method: "get",
      path: "/v1/lots",
      summary: "lots in id order, filtered by commodity, form, status, genesis and creation time",
      auth: "member",
      query: lotFilters,
      responses: { 200: { description: "a page of lots and the cursor of the next" } },
      handler: async ({ query }) => answer(() => listLots(db, query)),
    }),
    defineRoute({
      method: "get",
      path: "/v1/lots/:id",
      summary: "a lot: state, custodian, form, quantity, status, and the claims it carries now",
      auth: "member",
      params: idParams("lot"),
      responses: { 200: { description: "the lot" }, 404: { description: "unknown lot" } },
      handler: async ({ params }) =>
        answer(async () => {
          const lot = await getLot(db, BigInt(params.id));
          if (!lot) throw lotNotFound(params.id);
          return { ...lot, claims: await getLotCarriedClaims(db, BigInt(params.id)) };
        }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/lots/:id/history",
      summary: "a lot's events in order, with transaction hashes and the history head after each",
      auth: "member",
      params: idParams("lot"),
      query: z.object({ cursor, limit }),
      responses: { 200: { description: "a page of events" }, 404: { description: "unknown lot" } },
      handler: async ({ params, query }) =>
        answer(async () => {
          const history = await getLotHistory(db, BigInt(params.id), query);
          if (!history) throw lotNotFound(params.id);
          return history;
        }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/lots/:id/attestations",
      summary: "a lot's attestations, direct and inherited from the lots it was made from, each valid, expired or revoked and why; and per scheme whether it carries the claim now",
      auth: "member",
      params: idParams("lot"),
      query: z.object({ cursor, limit }),
      responses: { 200: { description: "claims per scheme and a page of attestations" }, 404: { description: "unknown lot" } },
      handler: async ({ params, query }) =>
        answer(async () => {
          const attestations = await getLotAttestations(db, BigInt(params.id), query);
          if (!attestations) throw lotNotFound(params.id);
          return attestations;
        }),
    }),
    dagRoute("ancestors", "every lot this lot was made from (recursive), with depth and the quantity flowing along the edges"),
    dagRoute("descendants", "every lot made from this lot (recursive), with depth and the quantity flowing along the edges"),
    defineRoute({
      method: "get",
      path: "/v1/members/:id",
      summary: "a member: roles, status, country and accounts",
      auth: "member",
      params: idParams("member"),
      responses: { 200: { description: "the member" }, 404: { description: "unknown member" } },
      handler: async ({ params }) =>
        answer(async () => {
          const member = await getMember(db, BigInt(params.id));
          if (!member) throw memberNotFound(params.id);
          return member;
        }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/members/:id/deliveries",
      summary: "a cooperative's deliveries per UTC day and form (lots minted, grams)",
      auth: "member",
      params: idParams("member"),
      query: z.object({ from: day.optional(), to: day.optional(), commodity, form, cursor, limit }),
      responses: { 200: { description: "a page of (day, form) rows" }, 404: { description: "unknown member" } },
      handler: async ({ params, query }) =>
        answer(async () => {
          if (!(await memberExists(db, BigInt(params.id)))) throw memberNotFound(params.id);
          return memberDeliveriesByDay(db, BigInt(params.id), query);
        }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/members/:id/stock",
      summary: "what a custodian holds now per form: lots and grams active and in transit",
      auth: "member",
      params: idParams("member"),
      query: z.object({ commodity, form }),
      responses: { 200: { description: "one row per form held" }, 404: { description: "unknown member" } },
      handler: async ({ params, query }) =>
        answer(async () => {
          if (!(await memberExists(db, BigInt(params.id)))) throw memberNotFound(params.id);
          return { items: await memberStockByForm(db, BigInt(params.id), query) };
        }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/members/:id/lots",
      summary: "the lots a member holds or held in custody, filtered like /v1/lots",
      auth: "member",
      params: idParams("member"),
      query: lotFilters,
      responses: { 200: { description: "a page of lots" }, 404: { description: "unknown member" } },
      handler: async ({ params, query }) =>
        answer(async () => {
          if (!(await memberExists(db, BigInt(params.id)))) throw memberNotFound(params.id);
          return listLots(db, { ...query, custodianMember: BigInt(params.id) });
        }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/members/:id/attestations",
      summary: "a certifier's attestations, oldest first, each valid, expired or revoked and why",
      auth: "member",
      params: idParams("member"),
      query: z.object({
        scheme: z.coerce.number().int().min(1).max(4_294_967_295).optional(),
        status: z.enum(["valid", "expired", "revoked"]).optional(),
        cursor,
        limit,
      }),
      responses: { 200: { description: "a page of attestations" }, 404: { description: "unknown member" } },
      handler: async ({ params, query }) =>
        answer(async () => {
          if (!(await memberExists(db, BigInt(params.id)))) throw memberNotFound(params.id);
          return memberAttestations(db, BigInt(params.id), query);
        }),
    }),
    defineRoute({
      method: "get",
      path: "/v1/members/:id/credits",
      summary: "a custodian's mass-balance credit per scheme and form, in grams",
      auth: "member",
      params: idParams("member"),
      query: z.object({ scheme: z.coerce.number().int().min(1).max(4_294_967_295).optional() }),
      responses: { 200: { description: "one row per scheme and form" }, 404: { description: "unknown member" } },
      handler: async ({ params, query }) =>
        answer(async () => {
          if (!(await memberExists(db, BigInt(params.id)))) throw memberNotFound(params.id);
          return { items: await memberCredits(db, BigInt(params.id), query) };
        }),
    }),
  ];
}

/** Runs a query and maps the query layer's own errors to the one error shape. */
async function answer(run: () => Promise<unknown>): Promise<{ status: number; body: unknown }> {
  try {
    return { status: 200, body: await run() };
  } catch (error) {
    if (error instanceof InvalidCursorError) throw badRequest(error.shortMessage);
    if (error instanceof DateRangeError) throw badRequest(error.message);
    if (error instanceof DagTooLargeError) {
      throw new ApiError(422, "dag_too_large", error.shortMessage, { maxPathRows: error.maxPathRows, maxDepth: error.maxDepth });
    }
    throw error;
  }
}
