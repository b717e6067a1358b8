import { DEFAULT_MIN_COVERAGE, EudrInputError, parsePlotSelection, runEudrCheck, type EudrCheckContext, type RunEudrCheckReturnType } from "../eudr";
import { readMultipart } from "./multipart";
import { ApiError, badRequest } from "./problem";
import { defineRoute, type AnyRoute } from "./routes";

/** Largest upload: both datasets and the form around them. A layer for a district is a few MB. */
export const MAX_EUDR_UPLOAD_BYTES = 64 * 1024 * 1024;

const FIELDS = ["plots", "forest2020", "loss", "minCoverage"];

/**
 * `POST /v1/eudr/checks`: the deforestation check over HTTP, for a forest monitor (a certifier
 * accredited for the deforestation-free scheme; its token). A multipart form with the plot
 * selection, the 2020 forest map (GeoTIFF) and the loss layer (lossyear GeoTIFF or GeoJSON
 * alerts). The answer is the stored report's CID and the attest-batch requests for the clear
 * plots; a refused check (a dataset, the selection, the monitor) answers `{code, message, details}`
 * and writes nothing.
 */
export function createEudrRoutes({ context }: { context: EudrCheckContext }): AnyRoute[] {
  return [
    defineRoute({
      method: "post",
      path: "/v1/eudr/checks",
      summary: "run the deforestation check (cut-off 2020-12-31) on plots of this gateway and attest the clear ones (a forest monitor's token)",
      auth: "member",
      rawBody: {
        mediaType: "multipart/form-data",
        schema: {
          type: "object",
          required: ["plots", "forest2020", "loss"],
          properties: {
            plots: { type: "string", description: "cooperative:<member id>, or plot ids (p_...) separated by commas" },
            forest2020: { type: "string", format: "binary", description: "2020 forest cover: single-band GeoTIFF, WGS 84 (EPSG:4326), 1 = forest, 0 = not" },
            loss: { type: "string", format: "binary", description: "forest loss: a lossyear GeoTIFF (years since 2000) or GeoJSON alerts (Polygons with a date)" },
            minCoverage: { type: "string", description: `least share of a plot covered by data for a result (default ${DEFAULT_MIN_COVERAGE})` },
          },
        },
      },
      responses: {
        201: { description: "the report's CID and digest, its totals and plot lines, the attest-batch request ids, the plots with loss, the clear plots already attested, the plots with loss still attested (to revoke)" },
        400: { description: "eudr_not_geotiff, eudr_wrong_crs, eudr_bad_alerts, eudr_unknown_alert_date, eudr_bad_selection...: an input cannot be used (nothing written)" },
        403: { description: "the member is not an active certifier accredited for the deforestation-free scheme" },
        413: { description: "the upload is larger than the limit" },
        422: { description: "eudr_unknown_plots, eudr_no_plots, eudr_no_custodial_account, eudr_report_too_large (check fewer plots at a time)" },
      },
      handler: async ({ memberId }, req) => {
        const form = await readMultipart(req, { maxBytes: MAX_EUDR_UPLOAD_BYTES });
        for (const name of form.keys()) if (!FIELDS.includes(name)) throw badRequest(`unknown form field ${JSON.stringify(name)}: ${FIELDS.join(", ")}`);
        const file = (name: string) => {
          const part = form.get(name);
          if (!part || part.filename === null) throw badRequest(`${name}: attach the file as the form's ${name} field`, [{ path: name, message: "required" }]);
          return { name: part.filename || name, bytes: new Uint8Array(part.data) };
        };
        const coverageText = form.get("minCoverage")?.data.toString("utf8").trim();
        const minCoverage = coverageText === undefined ? undefined : Number(coverageText);
        try {
          const selection = parsePlotSelection(form.get("plots")?.data.toString("utf8") ?? "");
          const result = await runEudrCheck(context, { plots: selection, forest2020: file("forest2020"), loss: file("loss"), monitor: memberId!, minCoverage });
          return { status: 201, body: checkAnswer(result) };
        } catch (error) {
          throw error instanceof EudrInputError ? eudrProblem(error) : error;
        }
      },
    }),
  ];
}

/** What the route and the command line answer: the report without its Markdown (the CID has both). */
export function checkAnswer(result: RunEudrCheckReturnType) {
  const { summary: _summary, ...report } = result.report;
  const { reportCid, reportDigest, requests, attested, lossPlots, alreadyAttested, attestedWithLoss } = result;
  return { reportCid, reportDigest, requests, attested, lossPlots, alreadyAttested, attestedWithLoss, report };
}

const FORBIDDEN = new Set(["not_a_certifier", "not_accredited"]);
const UNPROCESSABLE = new Set(["unknown_plots", "no_plots", "no_custodial_account", "no_scheme", "report_too_large"]);

/** One place maps an input error to HTTP: the code prefixed `eudr_`, the file or field in details. */
export function eudrProblem(error: EudrInputError): ApiError {
  const status = FORBIDDEN.has(error.code) ? 403 : UNPROCESSABLE.has(error.code) ? 422 : 400;
  return new ApiError(status, `eudr_${error.code}`, error.shortMessage, { source: error.source });
}
