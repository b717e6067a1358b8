import express, { type NextFunction, type Request, type Response } from "express";
import { z } from "zod";

/**
 * A route is declared once, with zod schemas for its params, query and body; the same declaration
 * validates requests and produces the OpenAPI document (`GET /openapi.json`), so the two cannot drift.
 */
export type RouteAuth = "member" | "public";

export type RouteDefinition<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> = {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Express path, e.g. `/v1/lots/:id`. */
  path: string;
  summary: string;
  auth: RouteAuth;
  params?: P;
  /** Without one, the route takes no query parameters: any is refused by name (400). */
  query?: Q;
  body?: B;
  /**
   * A body the route reads itself (a file upload): its media type and the JSON Schema of its
   * fields, for the OpenAPI document only.
   */
  rawBody?: { mediaType: string; schema: Record<string, unknown> };
  /** Status code -> description (and optional schema) of answers, for the OpenAPI document. */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handler: (
    input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B>; memberId: bigint | null; requestId: string },
    req: Request,
    res: Response,
  ) => Promise<{ status: number; body: unknown; headers?: Record<string, string> } | void>;
};

// The registry keeps definitions with their schemas erased to the common type.
export type AnyRoute = RouteDefinition<z.ZodType, z.ZodType, z.ZodType>;

export function defineRoute<
  P extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodUndefined,
  B extends z.ZodType = z.ZodUndefined,
>(route: RouteDefinition<P, Q, B>): AnyRoute {
  return route as unknown as AnyRoute;
}

/** Locals set by the app's middleware before any route runs. */
export type RequestContext = {
  requestId: string;
  memberId: bigint | null;
  /** The error a request failed with (a 5xx, or after its answer began), for its log line. */
  failure?: unknown;
};

export function context(res: Response): RequestContext {
  return res.locals as RequestContext;
}

/** Mounts routes on a router; `requireMember` is the auth middleware for `auth: "member"` routes. */
export function mountRoutes(
  routes: readonly AnyRoute[],
  requireMember: (req: Request, res: Response, next: NextFunction) => void,
): express.Router {
  const router = express.Router();
  for (const route of routes) {
    const guards = route.auth === "member" ? [requireMember] : [];
    router[route.method](route.path, ...guards, answerWith(route));
  }
  return router;
}

/**
 * The query of a route that declares none: no parameter at all, so a misspelt or misplaced one
 * (`?lotId=` on a write whose lot id is in the path) is refused by name rather than ignored.
 */
const noQuerySchema = z.strictObject(
  {},
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown query parameter${issue.keys.length === 1 ? "" : "s"} ${issue.keys.map((key) => JSON.stringify(key)).join(", ")}: this route takes no query parameters`
        : undefined,
  },
);

/** The last step of a route: validates params, query and body, runs the handler and sends its answer. */
export function answerWith(route: AnyRoute): (req: Request, res: Response) => Promise<void> {
  return async (req: Request, res: Response) => {
    const params = route.params ? route.params.parse(req.params) : undefined;
    const query = route.query ? route.query.parse(req.query) : undefined;
    // Without a query schema, the query is parsed only when the URL has one (a write rarely does).
    if (!route.query && req.url.includes("?")) noQuerySchema.parse(req.query);
    const body = route.body ? route.body.parse(req.body) : undefined;
    const { requestId, memberId } = context(res);
    const answer = await route.handler({ params, query, body, memberId, requestId }, req, res);
    if (!answer || res.headersSent) return;
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    if (route.method === "get") return void res.status(answer.status).json(answer.body);
    // A write's answer is never cached: no ETag to hash nor freshness to check (Express does both
    // for every res.json), on the gateway's hottest path.
    const json = JSON.stringify(answer.body);
    res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(json) });
    res.end(json);
  };
}

/** OpenAPI 3.1 document of the routes (JSON Schema from zod). */
export function openApiDocument(routes: readonly AnyRoute[], info: { title: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  const problemSchema = {
    type: "object",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["code", "message", "details"],
        properties: { code: { type: "string" }, message: { type: "string" }, details: { description: "what the code needs to say more (the invalid fields, the conflicting request), or null" } },
      },
    },
  };
  for (const route of routes) {
    const openApiPath = route.path.replace(/:([A-Za-z_]+)/g, "{$1}");
    const parameters = [
      ...objectParameters(route.params, "path"),
      ...objectParameters(route.query, "query"),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = response.schema
        ? { description: response.description, content: { "application/json": { schema: jsonSchema(response.schema) } } }
        : { description: response.description };
    }
    responses.default = { description: "error", content: { "application/json": { schema: problemSchema } } };
    paths[openApiPath] = {
      ...paths[openApiPath],
      [route.method]: {
        summary: route.summary,
        ...(route.auth === "member" ? { security: [{ bearer: [] }] } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(route.body
          ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(route.body) } } } }
          : route.rawBody
            ? { requestBody: { required: true, content: { [route.rawBody.mediaType]: { schema: route.rawBody.schema } } } }
            : {}),
        responses,
      },
    };
  }
  return {
    openapi: "3.1.0",
    info,
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths,
  };
}

function jsonSchema(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
}

function objectParameters(schema: z.ZodType | undefined, where: "path" | "query") {
  if (!schema) return [];
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    schema: property,
  }));
}
