import { z } from "zod";
import type { RecordSealer } from "../chain/keystore";
import type { Queryable } from "../db";
import { buildDds, DdsIncompleteError, DdsLotNotFoundError, DdsNoSchemeError } from "../eudr/dds";
import { ddsCallSchemas } from "../relay/ddsCalls";
import { lotIdSchema } from "../relay/lotCalls";
import { ApiError } from "./problem";
import { accepted, createCustodialIntake, type RelayRoutesParameters } from "./relayRoutes";
import { defineRoute, type AnyRoute } from "./routes";

/**
 * EU due diligence statements (docs/eudr.md): `GET /v1/lots/{lotId}/dds` builds the statement and
 * its geolocation for the lot's custodian, from the lot's ancestry and this gateway's private plots;
 * `POST /v1/lots/{lotId}/dds-references` records the numbers the EU information system gave a
 * filed statement, on chain (member-signed through the relay), so buyers downstream can refer to it.
 */
export type DdsRoutesParameters = Pick<RelayRoutesParameters, "writer" | "keystore" | "maxAttempts" | "crash"> & {
  db: Queryable;
  records: RecordSealer;
};

const lotParams = z.object({ lotId: lotIdSchema });
const ddsQuery = z
  .object({
    activity: z.enum(["import", "export", "domestic"]).optional().describe("default: import for an operator in an EU member state, export elsewhere"),
    allowPartial: z.enum(["true", "false"]).optional().describe("true: a statement marked partial instead of a refusal when plots lack the claim"),
  })
  .strict();

export function createDdsRoutes(parameters: DdsRoutesParameters): AnyRoute[] {
  const { accept } = createCustodialIntake(parameters);
  return [
    defineRoute({
      method: "get",
      path: "/v1/lots/:lotId/dds",
      summary: "the EU due diligence statement of a lot you hold: the statement JSON and its GeoJSON geolocation (WGS 84, one feature per plot)",
      auth: "member",
      params: lotParams,
      query: ddsQuery,
      responses: {
        200: { description: "{statement, geolocation: [{name, geojson}]}: the statement, and each geolocation file's GeoJSON text (a FeatureCollection)" },
        404: { description: "not_found: no such lot, or your member does not hold it" },
        409: { description: "dds_incomplete: deliveries in the ancestry lack the EUDR claim or a plot held here (details.lots, details.plots, details.gaps)" },
        422: { description: "no_deforestation_scheme: the network has no deforestation-free plot scheme" },
      },
      handler: async ({ params, query, memberId }) => {
        try {
          const document = await buildDds({
            db: parameters.db,
            sealer: parameters.records,
            lotId: BigInt(params.lotId),
            memberId: memberId!,
            activity: query.activity,
            allowPartial: query.allowPartial === "true",
          });
          return {
            status: 200,
            // The GeoJSON as its text: parsed and written again, 120.750000 would lose the zeros the
            // information system counts as decimals.
            body: { statement: document.statement, geolocation: document.files.map((file) => ({ name: file.name, geojson: file.text })) },
          };
        } catch (error) {
          if (error instanceof DdsLotNotFoundError) throw new ApiError(404, "not_found", error.shortMessage, { lotId: params.lotId });
          if (error instanceof DdsIncompleteError) {
            throw new ApiError(409, "dds_incomplete", error.shortMessage, {
              lots: [...new Set(error.gaps.map((gap) => gap.lotId))],
              plots: [...new Set(error.gaps.map((gap) => gap.plotId).filter((plotId): plotId is string => plotId !== null))],
              gaps: error.gaps,
            });
          }
          if (error instanceof DdsNoSchemeError) throw new ApiError(422, "no_deforestation_scheme", error.shortMessage);
          throw error;
        }
      },
    }),
    defineRoute({
      method: "post",
      path: "/v1/lots/:lotId/dds-references",
      summary: "record on chain the reference and verification numbers of a due diligence statement you filed for a lot (DdsReferenced)",
      auth: "member",
      params: lotParams,
      body: ddsCallSchemas["dds.recordStatement"].omit({ lotId: true }),
      responses: accepted,
      handler: async ({ params, body, memberId }, req, res) => accept("dds.recordStatement", memberId, { ...body, lotId: params.lotId } as { account?: string }, req, res),
    }),
  ];
}
