import { z } from "zod";
import { formById } from "../lots/forms";
import {
  PlotArchivedError,
  PlotEvidenceError,
  PlotFarmerError,
  PlotNotFoundError,
  PlotOverlapError,
  PlotRefTakenError,
  PlotRuleError,
  TENURES,
  capacityTable,
  plotGeometrySchema,
  type DeliveryCapacity,
  type PlotOwner,
  type PlotRegistry,
  type StoredPlot,
} from "../origins";
import { ApiError, badRequest, notFound } from "./problem";
import { defineRoute, type AnyRoute } from "./routes";

export type CreatePlotRoutesParameters = {
  plots: PlotRegistry;
  capacity: DeliveryCapacity;
  /** Throws 403 unless the member is an active cooperative (read from the chain). */
  requireCooperative: (memberId: bigint) => Promise<void>;
};

const farmerId = z.string().regex(/^f_[0-9a-z]{16,40}$/, "a farmer id: f_ and 16 to 40 lower-case letters or digits (POST /v1/farmers answers it)");
const plotId = z.string().regex(/^p_[0-9a-z]{16,40}$/, "a plot id: p_ and 16 to 40 lower-case letters or digits");
const name = z.string().trim().min(1).max(120);
const hectares = z.number().positive("a positive area in hectares").max(100_000, "at most 100,000 ha");
const cid = z.string().regex(/^b[a-z2-7]{20,120}$/, "a CIDv1 in base32 (b...): the private evidence's CID");
const ref = z.string().trim().min(1).max(64).describe("the cooperative's own reference for the plot (a field-book number), unique among its live plots");

const plotBody = z
  .object({
    farmerId: farmerId.optional().describe("the farmer the plot belongs to (a farmer of this cooperative)"),
    farmerRef: z.string().trim().min(1).max(120).optional().describe("deprecated: a free-text farmer reference, for plots registered before farmer records; use farmerId"),
    geometry: plotGeometrySchema.describe("GeoJSON Point, Polygon or MultiPolygon in WGS 84 [longitude, latitude] with at least 6 decimal places; a Point only for a plot of at most 4 ha"),
    declaredAreaHa: hectares.optional().describe("the plot's area as declared, in hectares: required for a Point (at most 4)"),
    country: z.string().regex(/^[A-Za-z]{2}$/, "country: ISO 3166-1 alpha-2, e.g. ID"),
    province: name,
    district: name,
    tenure: z.enum(TENURES).optional().describe("land tenure: title, customary or none (default none)"),
    tenureEvidenceCid: cid.optional().describe("private evidence of the tenure (a land title, a village letter) stored by this cooperative"),
    ref: ref.optional(),
  })
  .strict()
  .refine((body) => (body.farmerId === undefined) !== (body.farmerRef === undefined), { message: "give the farmer: farmerId (or, for older records, farmerRef), not both", path: ["farmerId"] });

const patchBody = z
  .object({
    farmerId: farmerId.optional().describe("the farmer the plot belongs to from this version on"),
    geometry: plotGeometrySchema.optional(),
    declaredAreaHa: hectares.nullable().optional(),
    country: z.string().regex(/^[A-Za-z]{2}$/, "country: ISO 3166-1 alpha-2, e.g. ID").optional(),
    province: name.optional(),
    district: name.optional(),
    tenure: z.enum(TENURES).optional(),
    tenureEvidenceCid: cid.nullable().optional(),
    ref: ref.nullable().optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, "give at least one field to change");

const params = z.object({ plotId });
const listQuery = z.object({
  farmerId: farmerId.optional(),
  archived: z.enum(["true", "false"]).optional().describe("true: archived plots too"),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().min(1).max(200).optional(),
});

const versionSchema = z.object({ version: z.number(), commitment: z.string(), registeredAt: z.string(), supersededAt: z.string().nullable() });
export const plotViewSchema = z.object({
  id: z.string().describe("the plot id (the same across versions)"),
  version: z.number(),
  commitment: z.string().describe("bytes32 a delivery carries as its origin (this version's)"),
  farmerId: z.string().nullable(),
  farmerRef: z.string().nullable().describe("only for plots registered before farmer records"),
  ref: z.string().nullable(),
  kind: z.enum(["point", "polygon"]),
  geometry: z.unknown().describe("the GeoJSON geometry: private, only ever answered to the registering cooperative"),
  areaM2: z.number().describe("geodesic area of the outline, or the declared area of a point"),
  areaHa: z.number(),
  declaredAreaHa: z.number().nullable(),
  tenure: z.enum(TENURES),
  tenureEvidenceCid: z.string().nullable(),
  country: z.string(),
  province: z.string(),
  district: z.string(),
  registeredAt: z.string(),
  archivedAt: z.string().nullable(),
  capacityKgPerYear: z.record(z.string(), z.number()).describe("the most each form may deliver from this plot in a year"),
});
const plotDetailSchema = plotViewSchema.extend({
  versions: z.array(versionSchema),
  delivered: z.object({ year: z.number(), kg: z.record(z.string(), z.number()) }).describe("deliveries accepted from this plot this year, by form"),
});

/**
 * The cooperative's plots over HTTP: register (`POST /v1/plots`), list, read, update (a new
 * version with a new commitment) and archive. Only the registering cooperative's tokens read a
 * plot; to anyone else it does not exist (404). The geometry is never part of a public page.
 */
export function createPlotRoutes({ plots, capacity, requireCooperative }: CreatePlotRoutesParameters): AnyRoute[] {
  const view = (plot: StoredPlot) => plotView(plot, plots.maxYields);

  return [
    defineRoute({
      method: "post",
      path: "/v1/plots",
      summary: "register a farmer's plot privately (cooperatives): EUDR geometry, overlap check; the answer carries the commitment its deliveries carry as origin",
      auth: "member",
      body: plotBody,
      responses: {
        201: { description: "registered: the plot with its id, commitment and area", schema: plotViewSchema },
        200: { description: "the same farmer's plot drawn identically before: that plot", schema: plotViewSchema },
        400: { description: "invalid_plot: a rule of the geometry or the plot (six decimals, crossing rings, a point above 4 ha, ...), with the fields" },
        403: { description: "the member is not an active cooperative" },
        409: { description: "plot_overlap: the outline overlaps other plots by more than the threshold (details name the plot ids); ref_taken" },
        422: { description: "unknown_farmer: no such farmer of this cooperative; unknown_evidence" },
      },
      handler: async ({ body, memberId }) => {
        await requireCooperative(memberId!);
        const owner: PlotOwner = body.farmerId ? { farmerId: body.farmerId } : { farmerRef: body.farmerRef! };
        const { plot, created } = await plotAnswer(() =>
          plots.register(memberId!, {
            owner,
            geometry: body.geometry,
            declaredAreaM2: body.declaredAreaHa === undefined ? null : body.declaredAreaHa * 10_000,
            country: body.country,
            province: body.province,
            district: body.district,
            tenure: body.tenure,
            tenureEvidenceCid: body.tenureEvidenceCid ?? null,
            ref: body.ref ?? null,
          }),
        );
        return { status: created ? 201 : 200, body: view(plot) };
      },
    }),

    defineRoute({
      method: "get",
      path: "/v1/plots",
      summary: "this cooperative's plots (current versions), oldest first, a page at a time",
      auth: "member",
      query: listQuery,
      responses: { 200: { description: "plots and the cursor of the next page (null: the last)", schema: z.object({ plots: z.array(plotViewSchema), next: z.string().nullable() }) } },
      handler: async ({ query, memberId }) => {
        const limit = query.limit ?? 100;
        const found = await plots.list({ memberId: memberId!, farmerId: query.farmerId, archived: query.archived === "true", after: decodeCursor(query.cursor), limit: limit + 1 });
        const page = found.slice(0, limit);
        const last = page[page.length - 1];
        return { status: 200, body: { plots: page.map(view), next: found.length > limit && last ? encodeCursor(last) : null } };
      },
    }),

    defineRoute({
      method: "get",
      path: "/v1/plots/:plotId",
      summary: "one of this cooperative's plots: the current version, every version's commitment, its capacity and this year's deliveries",
      auth: "member",
      params,
      responses: { 200: { description: "the plot", schema: plotDetailSchema }, 404: { description: "no such plot of this cooperative" } },
      handler: async ({ params, memberId }) => {
        const found = await plots.get(memberId!, params.plotId);
        if (!found) throw notFound(`no plot ${params.plotId} of this cooperative`);
        const year = capacity.year();
        const delivered = (await capacity.delivered([params.plotId], year)).get(params.plotId) ?? new Map<number, bigint>();
        const kg: Record<string, number> = {};
        for (const [form, grams] of delivered) kg[formById(form)?.key ?? String(form)] = Number(grams) / 1000;
        return {
          status: 200,
          body: {
            ...view(found.current),
            versions: found.versions.map((version) => ({
              version: version.version,
              commitment: version.commitment,
              registeredAt: version.registeredAt.toISOString(),
              supersededAt: version.supersededAt?.toISOString() ?? null,
            })),
            delivered: { year, kg },
          },
        };
      },
    }),

    defineRoute({
      method: "patch",
      path: "/v1/plots/:plotId",
      summary: "change a plot (outline, area, tenure, farmer, names, ref): a new version with a new commitment; deliveries keep the commitment they carry",
      auth: "member",
      params,
      body: patchBody,
      responses: {
        200: { description: "the new version (or the current one when nothing changed)", schema: plotViewSchema },
        400: { description: "invalid_plot" },
        404: { description: "no such plot of this cooperative" },
        409: { description: "plot_overlap; plot_archived; ref_taken" },
        422: { description: "unknown_farmer; unknown_evidence" },
      },
      handler: async ({ params, body, memberId }) => {
        await requireCooperative(memberId!);
        const { plot } = await plotAnswer(() =>
          plots.update(memberId!, params.plotId, {
            owner: body.farmerId ? { farmerId: body.farmerId } : undefined,
            geometry: body.geometry,
            declaredAreaM2: body.declaredAreaHa === undefined ? undefined : body.declaredAreaHa === null ? null : body.declaredAreaHa * 10_000,
            country: body.country,
            province: body.province,
            district: body.district,
            tenure: body.tenure,
            tenureEvidenceCid: body.tenureEvidenceCid,
            ref: body.ref,
          }),
        );
        return { status: 200, body: view(plot) };
      },
    }),

    defineRoute({
      method: "post",
      path: "/v1/plots/:plotId/archive",
      summary: "archive a plot: it leaves the overlap check and takes no more deliveries; its versions stay readable",
      auth: "member",
      params,
      responses: { 200: { description: "the archived plot", schema: plotViewSchema }, 404: { description: "no such plot of this cooperative" } },
      handler: async ({ params, memberId }) => {
        await requireCooperative(memberId!);
        return { status: 200, body: view(await plotAnswer(() => plots.archive(memberId!, params.plotId))) };
      },
    }),
  ];
}

/** A plot as its cooperative reads it. */
export function plotView(plot: StoredPlot, maxYields: PlotRegistry["maxYields"]): z.infer<typeof plotViewSchema> {
  return {
    id: plot.plotId,
    version: plot.version,
    commitment: plot.commitment,
    farmerId: plot.farmerId,
    farmerRef: plot.farmerId ? null : plot.farmerRef,
    ref: plot.ref,
    kind: plot.geometry.type === "Point" ? "point" : "polygon",
    geometry: plot.geometry,
    areaM2: plot.areaM2,
    areaHa: Math.round(plot.areaM2) / 10_000,
    declaredAreaHa: plot.declaredAreaM2 === null ? null : plot.declaredAreaM2 / 10_000,
    tenure: plot.tenure,
    tenureEvidenceCid: plot.tenureEvidenceCid,
    country: plot.country,
    province: plot.province,
    district: plot.district,
    registeredAt: plot.registeredAt.toISOString(),
    archivedAt: plot.archivedAt?.toISOString() ?? null,
    capacityKgPerYear: capacityTable(plot.areaM2, maxYields),
  };
}

/** The plot registry's refusals as the one error shape. */
async function plotAnswer<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof PlotRuleError) throw new ApiError(400, "invalid_plot", error.shortMessage, error.issues);
    if (error instanceof PlotOverlapError) {
      throw new ApiError(409, "plot_overlap", error.shortMessage, {
        plots: error.overlaps.map((overlap) => ({ plotId: overlap.plotId, sharePercent: Math.round(overlap.share * 1000) / 10 })),
        thresholdPercent: error.threshold * 100,
      });
    }
    if (error instanceof PlotRefTakenError) throw new ApiError(409, "ref_taken", error.shortMessage);
    if (error instanceof PlotArchivedError) throw new ApiError(409, "plot_archived", error.shortMessage);
    if (error instanceof PlotNotFoundError) throw notFound(error.shortMessage);
    if (error instanceof PlotFarmerError) throw new ApiError(422, "unknown_farmer", error.shortMessage);
    if (error instanceof PlotEvidenceError) throw new ApiError(422, "unknown_evidence", error.shortMessage);
    throw error;
  }
}

function encodeCursor(plot: StoredPlot): string {
  return Buffer.from(`${plot.registeredAt.toISOString()}|${plot.plotId}`).toString("base64url");
}

function decodeCursor(cursor: string | undefined): { registeredAt: Date; plotId: string } | undefined {
  if (cursor === undefined) return undefined;
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const registeredAt = new Date(at ?? "");
  if (Number.isNaN(registeredAt.getTime()) || !/^p_[0-9a-z]{16,40}$/.test(id ?? "")) throw badRequest("cursor: not a cursor this listing gave");
  return { registeredAt, plotId: id! };
}
