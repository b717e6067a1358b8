import { z } from "zod";
import { HEADER_LANGUAGES, IMPORT_KINDS, ImportFileError, ImportRefusedError, csvTemplate, runImport, xlsxTemplate, type ImportContext, type ImportKind } from "../imports";
import { readMultipart } from "./multipart";
import { ApiError, badRequest } from "./problem";
import { defineRoute, type AnyRoute } from "./routes";

export type CreateImportRoutesParameters = {
  /** Everything an import writes through, and its limits. */
  context: ImportContext;
  /** Throws 403 unless the member is an active cooperative. */
  requireCooperative: (memberId: bigint) => Promise<void>;
};

const mib = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;

/** Room for the form's boundaries and text fields around the file. */
const FORM_OVERHEAD = 64 * 1024;

/**
 * Bulk import over HTTP: `POST /v1/imports` takes a spreadsheet (CSV or XLSX) of farmers, plots or
 * deliveries as a multipart form and answers the report (every refused row with its column and
 * reason; with `dryRun=true` nothing is written). `GET /v1/imports/templates/{kind}.{csv|xlsx}`
 * answers an empty template, headers in en, id, th or vi.
 */
export function createImportRoutes({ context, requireCooperative }: CreateImportRoutesParameters): AnyRoute[] {
  return [
    defineRoute({
      method: "post",
      path: "/v1/imports",
      summary: "import a spreadsheet of farmers, plots or deliveries (multipart: kind, dryRun, file); the report lists each refused row's column and reason",
      auth: "member",
      rawBody: {
        mediaType: "multipart/form-data",
        schema: {
          type: "object",
          required: ["kind", "file"],
          properties: {
            kind: { type: "string", enum: [...IMPORT_KINDS] },
            dryRun: { type: "string", enum: ["true", "false"], description: "true: check every row, write nothing" },
            file: { type: "string", format: "binary", description: `CSV (UTF-8) or XLSX, at most ${Math.round(context.maxBytes / 1024 / 1024)} MiB` },
          },
        },
      },
      responses: {
        200: { description: "the report: rows, created (valid in a dry run), unchanged, refused, issues [{row, column, reason}], results per row, requests (deliveries)" },
        400: { description: "import_encoding, import_format, import_headers, import_empty: the file as a whole cannot be read (nothing written)" },
        403: { description: "the member is not an active cooperative" },
        413: { description: "the file is larger than the limit, or has too many rows" },
        415: { description: "not a multipart form" },
        422: { description: "import_refused: e.g. deliveries of a member without a custodial account" },
      },
      handler: async ({ memberId }, req) => {
        await requireCooperative(memberId!);
        const form = await readMultipart(req, { maxBytes: context.maxBytes + FORM_OVERHEAD }).catch((error: unknown) => {
          if (!(error instanceof ApiError && error.status === 413)) throw error;
          const { bytes } = error.problemDetails as { bytes: number };
          throw new ApiError(413, "payload_too_large", `the upload is ${mib(bytes)} MiB; an import takes files of at most ${mib(context.maxBytes)} MiB: split the file`, { bytes, maxBytes: context.maxBytes });
        });
        const field = (name: string) => form.get(name)?.data.toString("utf8").trim();
        const kind = field("kind");
        if (!kind || !(IMPORT_KINDS as readonly string[]).includes(kind)) throw badRequest(`kind: one of ${IMPORT_KINDS.join(", ")}`, [{ path: "kind", message: `one of ${IMPORT_KINDS.join(", ")}` }]);
        const dryRun = field("dryRun") ?? "false";
        if (dryRun !== "true" && dryRun !== "false") throw badRequest("dryRun: true or false", [{ path: "dryRun", message: "true or false" }]);
        const file = form.get("file");
        if (!file || file.filename === null) throw badRequest("file: attach the spreadsheet as the form's file field", [{ path: "file", message: "required" }]);
        for (const name of form.keys()) if (!["kind", "dryRun", "file"].includes(name)) throw badRequest(`unknown form field ${JSON.stringify(name)}: kind, dryRun, file`);
        try {
          const report = await runImport(context, { memberId: memberId!, kind: kind as ImportKind, file: file.data, dryRun: dryRun === "true" });
          return { status: 200, body: report };
        } catch (error) {
          if (error instanceof ImportFileError) {
            throw new ApiError(error.code === "too_large" || error.code === "too_many_rows" ? 413 : 400, `import_${error.code}`, error.shortMessage, error.fileDetails);
          }
          if (error instanceof ImportRefusedError) throw new ApiError(422, "import_refused", error.shortMessage);
          throw error;
        }
      },
    }),

    defineRoute({
      method: "get",
      path: "/v1/imports/templates/:template",
      summary: "an empty import template: farmers, plots or deliveries, as .csv or .xlsx, headers in en, id, th or vi (?lang=)",
      auth: "public",
      params: z.object({ template: z.string().regex(/^(farmers|plots|deliveries)\.(csv|xlsx)$/, "farmers, plots or deliveries, then .csv or .xlsx") }),
      query: z.object({ lang: z.enum(HEADER_LANGUAGES).optional() }),
      responses: { 200: { description: "the template file" } },
      handler: async ({ params, query }, _req, res) => {
        const [kind, format] = params.template.split(".") as [ImportKind, "csv" | "xlsx"];
        const language = query.lang ?? "en";
        const bytes = format === "csv" ? csvTemplate(kind, language) : await xlsxTemplate(kind, language);
        res
          .status(200)
          .set({
            "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "content-disposition": `attachment; filename="firstmile-${kind}${language === "en" ? "" : `-${language}`}.${format}"`,
            "content-length": String(bytes.length),
          })
          .end(bytes);
      },
    }),
  ];
}
