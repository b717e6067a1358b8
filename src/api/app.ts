import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import type { Queryable } from "../db";
import { bearerToken, memberForToken, type TokenCache } from "./apiTokens";
import { clientAddress, requestOrigin } from "./clientAddress";
import { jsonBody } from "./jsonBody";
import { errorToProblem, problem, tooManyRequests, unauthorized, type ErrorMapper } from "./problem";
import { createRateLimiter, type RateLimiter } from "./rateLimit";
import { answerWith, context, mountRoutes, openApiDocument, type AnyRoute } from "./routes";

type ExpressHandle = (req: Request, res: Response, callback?: (error?: unknown) => void) => void;

/** The path of a request target, without its query. */
function pathOf(url: string | undefined): string {
  const query = url?.indexOf("?") ?? -1;
  return query === -1 ? (url ?? "") : url!.slice(0, query);
}

export type ReadinessCheck = () => Promise<{ ok: boolean; detail?: unknown }>;

/** What the app gives an answer made on Node's own request and response (`CreateAppParameters.atOnce`). */
export type AtOnceContext = {
  /** The request's id, for its `x-request-id` header (the client's own when it sent a valid one). */
  readonly requestId: string;
  /** The client's address (the forwarded one behind a trusted proxy), as the per-IP limits take it. */
  readonly address: string;
  /** The scheme the client asked with (`X-Forwarded-Proto` from a trusted proxy), as `req.protocol` says. */
  readonly protocol: string;
  /** Takes the app's per-IP limit; false: refused (the answer must say it did not answer, and the usual path refuses it). */
  admit(): boolean;
  /**
   * Makes the request and response Express's, with the request id's header and log line, for an
   * answer other than the usual one (a missing page, a failure): from then on, as on the usual path.
   */
  express(): { req: Request; res: Response };
};

/**
 * Answers a GET or HEAD at once, before Express, on Node's own request and response, and says so
 * (true); false, before it has written anything: the usual path answers. It calls `admit` last,
 * and answers if admitted.
 */
export type AtOnceAnswer = (req: IncomingMessage, res: ServerResponse, app: AtOnceContext) => boolean;

export type CreateAppParameters = {
  db: Queryable;
  logger: Logger;
  routes: readonly AnyRoute[];
  /** Extra routers mounted as they are (e.g. the IPFS trustless gateway at `/ipfs`). */
  routers?: ReadonlyArray<{ path: string; router: express.Router }>;
  /** Named checks for `/readyz` (chain, SQL, relay backlog): one failing makes the gateway not ready (503). */
  readiness?: Record<string, ReadinessCheck>;
  /**
   * Checks of parts the gateway works without (IPFS: lot writes and reads go on, evidence uploads
   * answer 503): one failing makes `/readyz` answer 200 with status `degraded`, naming it, so a
   * load balancer keeps the gateway in rotation and monitoring still sees the fault.
   */
  degradable?: Record<string, ReadinessCheck>;
  errorMappers?: readonly ErrorMapper[];
  /** Largest JSON body accepted, bytes (a batch of 500 deliveries is ~150 KB). */
  bodyLimitBytes?: number;
  limits?: { perToken: RateLimiter; perIp: RateLimiter };
  /** Remembers token -> member for a while (default: every request looks its token up). */
  tokenCache?: TokenCache;
  /**
   * Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` and `X-Forwarded-Proto`
   * are believed. Default none: the client's address is the connection's, so a client cannot
   * name another address to escape its per-IP limit.
   */
  trustedProxies?: readonly string[];
  /**
   * Answers tried first for a GET or HEAD, before Express (its request and response prototypes, the
   * router): a view of a lot page kept at the read model's block is most of what the gateway sends,
   * and Express's part was about as much as the rest of its answer.
   */
  atOnce?: readonly AtOnceAnswer[];
};

/** The gateway's Express app: request ids, logging, auth, rate limits, routes, one error shape. */
export function createApp({
  db,
  logger,
  routes,
  routers = [],
  readiness = {},
  degradable = {},
  errorMappers = [],
  bodyLimitBytes = 512 * 1024,
  limits = {
    perToken: createRateLimiter({ capacity: 600, perSecond: 200 }),
    perIp: createRateLimiter({ capacity: 300, perSecond: 50 }),
  },
  tokenCache,
  trustedProxies = [],
  atOnce = [],
}: CreateAppParameters): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", trustedProxies.length > 0 ? [...trustedProxies] : false);

  type Step = (req: Request, res: Response, next: NextFunction) => void;
  const requestIdOf = (offered: string | undefined) => (offered && /^[A-Za-z0-9._-]{1,64}$/.test(offered) ? offered : randomUUID());
  // One line per request, when it is answered or its connection closes: a single pino call, no
  // child logger. Answered requests at debug (the outbox already keeps every write, with its
  // member and times; at info a demo seeding or a burst would bury everything else), refused
  // ones at info, failures at error with the error they answered (sendError keeps it in the locals).
  const logWhenClosed = (req: Request, res: Response, requestId: string, started: number) => {
    res.once("close", () => {
      const { memberId, failure } = context(res);
      const level = res.statusCode >= 500 || failure !== undefined ? "error" : res.statusCode >= 400 ? "info" : "debug";
      if (!logger.isLevelEnabled(level)) return;
      const line: Record<string, unknown> = {
        requestId,
        method: req.method,
        // originalUrl: a mounted router (e.g. /ipfs) may still have cut its prefix from url.
        path: pathOf(req.originalUrl ?? req.url),
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 1000) / 1000,
      };
      // The route's pattern (/v1/lots/:lotId/offer), when the router matched one.
      const route = (req as Request & { route?: { path?: unknown } }).route?.path;
      if (typeof route === "string") line.route = route;
      // The member, never its token: no header or body goes in a log line.
      if (memberId !== null) line.memberId = String(memberId);
      if (!res.writableFinished) line.aborted = true;
      if (level === "error") {
        line.err = failure;
        logger.error(line, "request failed");
      } else logger[level](line, "request");
    });
  };
  const assignRequestId: Step = (req, res, next) => {
    const requestId = requestIdOf(req.get("x-request-id"));
    Object.assign(res.locals, { requestId, memberId: null });
    res.setHeader("x-request-id", requestId);
    logWhenClosed(req, res, requestId, performance.now());
    next();
  };
  const limitPerIp: Step = (req, _res, next) => {
    const verdict = limits.perIp.take(clientAddress(req));
    if (!verdict.allowed) return next(tooManyRequests(verdict.retryAfterSeconds));
    next();
  };
  const readJson: Step = jsonBody(bodyLimitBytes);
  app.use(assignRequestId, limitPerIp, readJson);

  // Requests that miss the cache together share one lookup (a busy client's requests all miss
  // when its entry expires).
  const lookups = new Map<string, Promise<bigint | null>>();
  const lookUp = (token: string) => {
    let lookup = lookups.get(token);
    if (!lookup) {
      lookup = memberForToken(db, token).finally(() => lookups.delete(token));
      lookups.set(token, lookup);
    }
    return lookup;
  };

  const requireMember: Step = (req, res, next) => {
    const token = bearerToken(req.get("authorization"));
    if (token === null) return next(unauthorized());
    const verdict = limits.perToken.take(token);
    if (!verdict.allowed) return next(tooManyRequests(verdict.retryAfterSeconds));
    const cached = tokenCache?.get(token);
    if (cached !== undefined) {
      context(res).memberId = cached;
      return next();
    }
    lookUp(token).then((memberId) => {
      if (memberId === null) return next(unauthorized("the API token is unknown or revoked"));
      tokenCache?.set(token, memberId);
      context(res).memberId = memberId;
      next();
    }, next);
  };

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  app.get("/readyz", async (_req, res) => {
    const results: Record<string, { ok: boolean; detail?: unknown }> = {};
    await Promise.all(
      Object.entries({ ...readiness, ...degradable }).map(async ([name, check]) => {
        try {
          results[name] = await check();
        } catch (error) {
          results[name] = { ok: false, detail: (error as Error).message };
        }
      }),
    );
    const ready = Object.keys(readiness).every((name) => results[name]!.ok);
    const degraded = Object.keys(degradable).filter((name) => !results[name]!.ok);
    if (!ready) res.status(503).json({ status: "not ready", checks: results });
    else if (degraded.length > 0) res.status(200).json({ status: "degraded", degraded, checks: results });
    else res.status(200).json({ status: "ready", checks: results });
  });

  // Built by the first request for it, then kept: turning every route's zod schemas into JSON
  // Schema costs about a quarter of a second of CPU, which every start paid for a document that
  // few of them are ever asked for.
  let document: ReturnType<typeof openApiDocument> | null = null;
  app.get("/openapi.json", (_req, res) => {
    document ??= openApiDocument(routes, { title: "firstmile gateway", version: "1" });
    res.json(document);
  });

  // The API first: a write (the busiest path) then never walks the page routers' layers.
  app.use(mountRoutes(routes, requireMember));
  for (const { path, router } of routers) app.use(path, router);

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(Object.assign(new Error("no route"), { notFound: `${req.method} ${req.path}` }));
  });

  const failAfterHeaders = (error: unknown, req: Request, res: Response) => {
    context(res).failure = error;
    req.socket.destroy();
  };
  const sendError = (error: unknown, req: Request, res: Response) => {
    const routeMissing = (error as { notFound?: string }).notFound;
    const mapped = routeMissing
      ? problem(404, "not_found", `no route ${routeMissing}`)
      : errorToProblem(error, errorMappers);
    // Logged once, with the request's line when it closes (the same request id).
    if (mapped.status >= 500) context(res).failure = error;
    if (mapped.status === 429 || mapped.status === 503) {
      const retry = (mapped.body.error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      if (retry) res.setHeader("retry-after", String(retry));
    }
    res.status(mapped.status).type("application/json").send(JSON.stringify(mapped.body));
  };
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    // The answer has begun: nothing to add, close it (and log why).
    if (res.headersSent) return void failAfterHeaders(error, req, res);
    sendError(error, req, res);
  });

  // The direct path for writes: a POST to a route without path parameters takes the same steps
  // as above (request id, IP limit, body, auth, the route), in order, without Express's router
  // testing every layer's path on the way (about a tenth of a millisecond of every write).
  const direct = new Map(
    routes
      .filter((route) => route.method === "post" && !route.path.includes(":"))
      .map((route) => [route.path, [assignRequestId, limitPerIp, readJson, ...(route.auth === "member" ? [requireMember] : []), answerWith(route)] as Step[]]),
  );
  const viaRouter = (app as unknown as { handle: ExpressHandle }).handle.bind(app);
  /** What Express's own handle does before its router runs: its prototypes on Node's request and response. */
  const makeExpress = (req: Request, res: Response) => {
    req.res = res;
    res.req = req;
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
    res.locals ??= Object.create(null);
  };
  const origin = requestOrigin(trustedProxies);
  const answeredAtOnce = (req: IncomingMessage, res: ServerResponse): boolean => {
    const offered = req.headers["x-request-id"];
    const requestId = requestIdOf(typeof offered === "string" ? offered : undefined);
    const started = performance.now();
    // Read only by an answer that takes the request (most GETs are not a kept page's view).
    let address: string | undefined;
    const addressOnce = () => (address ??= origin.address(req));
    let made: { req: Request; res: Response } | null = null;
    const context: AtOnceContext = {
      requestId,
      get address() {
        return addressOnce();
      },
      get protocol() {
        return origin.protocol(req);
      },
      admit: () => limits.perIp.take(addressOnce()).allowed,
      express: () => {
        if (made) return made;
        made = { req: req as Request, res: res as Response };
        makeExpress(made.req, made.res);
        Object.assign(made.res.locals, { requestId, memberId: null });
        made.res.setHeader("x-request-id", requestId);
        logWhenClosed(made.req, made.res, requestId, started);
        return made;
      },
    };
    for (const answer of atOnce) {
      let answered: boolean;
      try {
        answered = answer(req, res, context);
      } catch (error) {
        // Thrown out of an answer: answered as a failure on the usual path would be, never out of the server's request handler.
        const { req: request, res: response } = context.express();
        if (response.headersSent) failAfterHeaders(error, request, response);
        else sendError(error, request, response);
        return true;
      }
      if (!answered) continue;
      // A page's answer is logged at debug: with debug off, no line would be written (made: the
      // answer went through Express, which logs it).
      if (!made && logger.isLevelEnabled("debug")) {
        (res as Response).locals = { requestId, memberId: null };
        logWhenClosed(req as Request, res as Response, requestId, started);
      }
      return true;
    }
    return false;
  };
  (app as unknown as { handle: ExpressHandle }).handle = (req, res, callback) => {
    if (atOnce.length > 0 && (req.method === "GET" || req.method === "HEAD") && answeredAtOnce(req, res)) return;
    const steps = req.method === "POST" ? direct.get(pathOf(req.url)) : undefined;
    if (!steps) return viaRouter(req, res, callback);
    makeExpress(req, res);
    let index = 0;
    const next = (error?: unknown): void => {
      if (error !== undefined && error !== null && error !== "route") {
        // As Express's final handler does when the answer has begun: nothing to add, close it.
        if (res.headersSent) return void failAfterHeaders(error, req, res);
        return sendError(error, req, res);
      }
      const step = steps[index++];
      if (!step) return;
      try {
        const result = step(req, res, next) as unknown;
        if (result instanceof Promise) result.catch(next);
      } catch (thrown) {
        next(thrown);
      }
    };
    next();
  };

  return app;
}
