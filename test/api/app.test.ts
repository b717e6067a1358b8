import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { gzipSync } from "node:zlib";
import { expect } from "chai";
import pino from "pino";
import { z } from "zod";
import { createApp, createRateLimiter, createTokenCache, defineRoute, issueApiToken, revokeApiTokens } from "../../src/api";
import type { AtOnceAnswer } from "../../src/api/app";
import type { Database, Queryable } from "../../src/db";
import { openMigratedPglite } from "../helpers/engines";

/** Routes of every kind the app serves: a routed and a direct write, writes with a query, a public failure. */
const ROUTES = [
  defineRoute({
    method: "post",
    path: "/v1/echo/:name",
    summary: "echo a validated body back",
    auth: "member",
    params: z.object({ name: z.string().regex(/^[a-z]+$/) }),
    body: z.object({ grams: z.number().int().positive() }),
    responses: { 200: { description: "echoed" } },
    handler: async ({ params, body, memberId }) => ({ status: 200, body: { name: params.name, grams: body.grams, memberId: String(memberId) } }),
  }),
  defineRoute({
    method: "post",
    path: "/v1/echo",
    summary: "echo a validated body back, on a path without parameters (the writes' direct path)",
    auth: "member",
    body: z.object({ grams: z.number().int().positive() }),
    responses: { 200: { description: "echoed" } },
    handler: async ({ body, memberId }) => {
      if (body.grams === 13) throw new Error("secret internal detail 0xdeadbeef");
      return { status: 200, body: { name: "abc", grams: body.grams, memberId: String(memberId) } };
    },
  }),
  // A write with a query schema, on the direct path and off it (as POST /v1/evidence?type=).
  ...["/v1/tagged", "/v1/tagged/:name"].map((path) =>
    defineRoute({
      method: "post",
      path,
      summary: "echo a validated query back",
      auth: "member",
      query: z.object({ type: z.string().max(10).optional() }),
      responses: { 200: { description: "echoed" } },
      handler: async ({ query, memberId }) => ({ status: 200, body: { type: query.type ?? null, memberId: String(memberId) } }),
    }),
  ),
  defineRoute({
    method: "get",
    path: "/v1/boom",
    summary: "fails unexpectedly",
    auth: "public",
    responses: { 200: { description: "never" } },
    handler: async () => {
      throw new Error("secret internal detail 0xdeadbeef");
    },
  }),
];

describe("gateway app (Express): auth, validation, one error shape, OpenAPI", () => {
  let db: Database;
  let server: Server;
  let base: string;
  let token: string;
  let healthy = true;
  let ipfsUp = true;


  before(async () => {
    db = await openMigratedPglite();
    token = (await issueApiToken(db, 7n, "field phone")).token;
    const app = createApp({
      db,
      logger: pino({ level: "silent" }),
      routes: ROUTES,
      readiness: { chain: async () => ({ ok: healthy }) },
      degradable: { ipfs: async () => ({ ok: ipfsUp }) },
      bodyLimitBytes: 1024,
      limits: {
        perToken: createRateLimiter({ capacity: 3, perSecond: 0.001 }),
        perIp: createRateLimiter({ capacity: 1000, perSecond: 1000 }),
      },
    });
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await db.close();
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(base + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

  it("answers /healthz, and /readyz with 503 and the failing check when a part is down", async () => {
    expect((await fetch(`${base}/healthz`)).status).to.equal(200);
    healthy = false;
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).to.equal(503);
    expect(await notReady.json()).to.deep.equal({ status: "not ready", checks: { chain: { ok: false }, ipfs: { ok: true } } });
    healthy = true;
    expect((await fetch(`${base}/readyz`)).status).to.equal(200);
  });

  it("answers /readyz 200 degraded, naming the part, when only a part it works without is down", async () => {
    ipfsUp = false;
    const degraded = await fetch(`${base}/readyz`);
    expect(degraded.status).to.equal(200);
    expect(await degraded.json()).to.deep.equal({ status: "degraded", degraded: ["ipfs"], checks: { chain: { ok: true }, ipfs: { ok: false } } });
    healthy = false;
    expect((await fetch(`${base}/readyz`)).status, "an essential part down still makes it not ready").to.equal(503);
    healthy = true;
    ipfsUp = true;
    expect(await (await fetch(`${base}/readyz`)).json()).to.deep.include({ status: "ready" });
  });

  it("refuses a member route without a token, or with an unknown one", async () => {
    const missing = await post("/v1/echo/abc", '{"grams":1}');
    expect(missing.status).to.equal(401);
    expect((await missing.json()).error.code).to.equal("unauthorized");
    const unknown = await post("/v1/echo/abc", '{"grams":1}', { authorization: `Bearer fm_${"A".repeat(43)}` });
    expect(unknown.status).to.equal(401);
    expect((await unknown.json()).error.message).to.equal("the API token is unknown or revoked");
  });

  it("acts as the token's member, validates params and body, and names the bad field", async () => {
    const auth = { authorization: `Bearer ${token}` };
    const ok = await post("/v1/echo/abc", '{"grams":5}', auth);
    expect(ok.status).to.equal(200);
    expect(await ok.json()).to.deep.equal({ name: "abc", grams: 5, memberId: "7" });

    const bad = await post("/v1/echo/abc", '{"grams":-5}', auth);
    expect(bad.status).to.equal(400);
    const body = await bad.json();
    expect(body.error.code).to.equal("invalid_request");
    expect(body.error.details[0].path).to.equal("grams");
  });

  it("maps malformed JSON to 400 and an oversized body to 413 before any handler runs", async () => {
    const other = (await issueApiToken(db, 8n)).token;
    const malformed = await post("/v1/echo/abc", "{grams:", { authorization: `Bearer ${other}` });
    expect(malformed.status).to.equal(400);
    expect((await malformed.json()).error.code).to.equal("invalid_json");
    const oversized = await post("/v1/echo/abc", JSON.stringify({ grams: 1, pad: "x".repeat(2000) }), {
      authorization: `Bearer ${other}`,
    });
    expect(oversized.status).to.equal(413);
    expect((await oversized.json()).error.code).to.equal("payload_too_large");
  });

  it("reads a body as express.json does, on its short path and off it", async () => {
    // A token per request: the test app allows 3 per token.
    const auth = async () => ({ authorization: `Bearer ${(await issueApiToken(db, 8n)).token}` });
    const scalar = await post("/v1/echo/abc", " 42", await auth());
    expect([scalar.status, (await scalar.json()).error.code]).to.deep.equal([400, "invalid_json"]);
    const empty = await post("/v1/echo/abc", "", await auth());
    expect([empty.status, (await empty.json()).error.details[0].path]).to.deep.equal([400, "grams"]);
    const charset = await post("/v1/echo/abc", JSON.stringify({ grams: 3 }), { ...(await auth()), "content-type": "application/json; charset=UTF-8" });
    expect(await charset.json()).to.deep.include({ grams: 3 });
    const compressed = await post("/v1/echo/abc", gzipSync(JSON.stringify({ grams: 4 })) as unknown as string, { ...(await auth()), "content-encoding": "gzip" });
    expect(await compressed.json()).to.deep.include({ grams: 4 });
    const latin1 = await post("/v1/echo/abc", JSON.stringify({ grams: 5 }), { ...(await auth()), "content-type": "application/json; charset=latin1" });
    expect(latin1.status).to.equal(415);
  });

  it("answers a write on a path without parameters (the direct path) as the router answers it", async () => {
    const fresh = async () => `Bearer ${(await issueApiToken(db, 11n)).token}`;
    const echo: [string, string] = ["/v1/echo", "/v1/echo/abc"];
    const tagged: [string, string] = ["/v1/tagged", "/v1/tagged/abc"];
    const cases: Array<{ body: string; headers?: Record<string, string>; query?: string; paths?: [string, string]; status: number }> = [
      { body: '{"grams":5}', status: 200 },
      { body: '{"grams":-5}', status: 400 },
      { body: "{grams:", status: 400 },
      { body: JSON.stringify({ grams: 1, pad: "x".repeat(2000) }), status: 413 },
      { body: '{"grams":1}', headers: { authorization: "" }, status: 401 },
      { body: '{"grams":1}', headers: { "content-type": "application/json; charset=latin1" }, status: 415 },
      { body: gzipSync(JSON.stringify({ grams: 4 })) as unknown as string, headers: { "content-encoding": "gzip" }, status: 200 },
      // The query string: refused by name on a route without a query schema, validated on one with.
      { body: '{"grams":2}', query: "?x=1", status: 400 },
      { body: '{"grams":2}', query: "?", status: 200 },
      { body: "{}", query: "?type=csv", paths: tagged, status: 200 },
      { body: "{}", query: "?type=far-too-long-a-type", paths: tagged, status: 400 },
    ];
    for (const { body, headers, query = "", paths = echo, status } of cases) {
      const answers = [];
      for (const path of paths) {
        const response = await post(path + query, body, { authorization: await fresh(), "x-request-id": "same-id", ...headers });
        answers.push({ status: response.status, requestId: response.headers.get("x-request-id"), json: await response.json() });
      }
      const label = `${paths[0]}${query} ${body.slice(0, 20)}`;
      expect(answers[0]!.status, label).to.equal(status);
      expect(answers[0], label).to.deep.equal(answers[1]);
    }
    // A trailing slash, an unexpected error, rate limits: as through the router.
    const auth = { authorization: await fresh() };
    expect((await post("/v1/echo/", '{"grams":2}', auth)).status).to.equal(200);
    const failed = await post("/v1/echo", '{"grams":13}', { authorization: await fresh() });
    expect(failed.status).to.equal(500);
    expect(await failed.text()).not.to.contain("deadbeef");
    const limited = { authorization: await fresh() };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post("/v1/echo", '{"grams":1}', limited)).status);
    expect(statuses).to.deep.equal([200, 200, 200, 429]);
  });

  it("refuses query parameters on a route that declares no query schema, naming them, before its handler runs", async () => {
    const auth = async () => ({ authorization: `Bearer ${(await issueApiToken(db, 12n)).token}` });
    const write = await post("/v1/echo/abc?lotId=5&x=1", '{"grams":2}', await auth());
    expect(write.status).to.equal(400);
    expect(await write.json()).to.deep.equal({
      error: {
        code: "invalid_request",
        message: "the request does not match the schema",
        details: [{ path: "", message: 'unknown query parameters "lotId", "x": this route takes no query parameters' }],
      },
    });
    // Not the handler's 500: the query is checked first.
    const read = await fetch(`${base}/v1/boom?verbose=1`);
    expect(read.status).to.equal(400);
    expect((await read.json()).error.details).to.deep.equal([{ path: "", message: 'unknown query parameter "verbose": this route takes no query parameters' }]);
    // A route with a query schema gets its validated query.
    expect(await (await post("/v1/tagged?type=csv", "{}", await auth())).json()).to.deep.equal({ type: "csv", memberId: "12" });
  });

  it("rate-limits per token with 429 and Retry-After", async () => {
    const limited = (await issueApiToken(db, 9n)).token;
    const auth = { authorization: `Bearer ${limited}` };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post("/v1/echo/abc", '{"grams":1}', auth)).status);
    expect(statuses).to.deep.equal([200, 200, 200, 429]);
    const again = await post("/v1/echo/abc", '{"grams":1}', auth);
    expect(Number(again.headers.get("retry-after"))).to.be.greaterThan(0);
  });

  it("refuses a revoked token", async () => {
    const issued = await issueApiToken(db, 10n);
    expect(await revokeApiTokens(db, 10n)).to.equal(1);
    const response = await post("/v1/echo/abc", '{"grams":1}', { authorization: `Bearer ${issued.token}` });
    expect(response.status).to.equal(401);
  });

  it("hides unexpected errors behind a 500 that names only the request id", async () => {
    const response = await fetch(`${base}/v1/boom`, { headers: { "x-request-id": "req-42" } });
    expect(response.status).to.equal(500);
    expect(response.headers.get("x-request-id")).to.equal("req-42");
    const text = await response.text();
    expect(text).not.to.contain("deadbeef");
    expect(JSON.parse(text).error.code).to.equal("internal");
  });

  it("answers unknown routes with a JSON 404", async () => {
    const response = await fetch(`${base}/v1/nothing`);
    expect(response.status).to.equal(404);
    expect(await response.json()).to.deep.equal({ error: { code: "not_found", message: "no route GET /v1/nothing", details: null } });
  });

  describe("inputs a fuzzer found answered with a 500", () => {
    const auth = async () => ({ authorization: `Bearer ${(await issueApiToken(db, 14n)).token}` });
    const expectProblem = async (response: Response, status: number, code: string) => {
      const body = await response.json();
      expect(response.status, JSON.stringify(body)).to.equal(status);
      expect(Object.keys(body)).to.deep.equal(["error"]);
      expect(Object.keys(body.error)).to.deep.equal(["code", "message", "details"]);
      expect(body.error.code).to.equal(code);
      return body.error as { code: string; message: string; details: unknown };
    };

    it("a path parameter that is not valid percent-encoding is a 400, on a member route and a public one", async () => {
      await expectProblem(await post("/v1/echo/%zz", '{"grams":1}', await auth()), 400, "invalid_path");
      await expectProblem(await post("/v1/tagged/%E0%A4%A", "{}", await auth()), 400, "invalid_path");
    });

    it("a Content-Encoding the gateway cannot read is a 415 before the token is looked at, or a 400 when the bytes do not decode", async () => {
      for (const headers of [{}, await auth()]) {
        await expectProblem(await post("/v1/echo", '{"grams":1}', { ...headers, "content-encoding": "bogus" }), 415, "unsupported_encoding");
        await expectProblem(await post("/v1/echo/abc", '{"grams":1}', { ...headers, "content-encoding": "br, bogus" }), 415, "unsupported_encoding");
      }
      await expectProblem(await post("/v1/echo", '{"grams":1}', { ...(await auth()), "content-encoding": "gzip" }), 400, "invalid_encoding");
      await expectProblem(await post("/v1/echo/abc", '{"grams":1}', { ...(await auth()), "content-encoding": "deflate" }), 400, "invalid_encoding");
    });

    it("a NUL character in any string of a JSON body is a 400 (no text column takes one), on the short path and off it", async () => {
      const error = await expectProblem(await post("/v1/echo", '{"grams":1,"note":"a\\u0000b"}', await auth()), 400, "invalid_text");
      expect(error.details).to.deep.equal({ character: "U+0000" });
      await expectProblem(await post("/v1/echo/abc", '{"grams":1,"list":[{"x":"\\u0000"}]}', await auth()), 400, "invalid_text");
      await expectProblem(await post("/v1/echo", gzipSync('{"grams":1,"n":"\\u0000"}') as unknown as string, { ...(await auth()), "content-encoding": "gzip" }), 400, "invalid_text");
      // An escaped backslash followed by "u0000" is not a NUL.
      expect((await post("/v1/echo", '{"grams":1,"note":"\\\\u0000"}', await auth())).status).to.equal(200);
    });

    it("matches the Bearer scheme case-insensitively, as HTTP defines auth schemes", async () => {
      const token = (await auth()).authorization.slice("Bearer ".length);
      for (const scheme of ["bearer", "BEARER", "BeArEr"]) {
        expect((await post("/v1/echo", '{"grams":1}', { authorization: `${scheme} ${token}` })).status, scheme).to.equal(200);
      }
      await expectProblem(await post("/v1/echo", '{"grams":1}', { authorization: `Basic ${token}` }), 401, "unauthorized");
    });

    it("every error answer has code, message and details", async () => {
      await expectProblem(await fetch(`${base}/v1/nothing`), 404, "not_found");
      await expectProblem(await post("/v1/echo", '{"grams":1}'), 401, "unauthorized");
      await expectProblem(await post("/v1/echo", "{grams:", await auth()), 400, "invalid_json");
      await expectProblem(await fetch(`${base}/v1/boom`), 500, "internal");
    });
  });

  it("publishes an OpenAPI document generated from the same schemas", async () => {
    const document = await (await fetch(`${base}/openapi.json`)).json();
    const echo = document.paths["/v1/echo/{name}"].post;
    expect(echo.security).to.deep.equal([{ bearer: [] }]);
    expect(echo.parameters[0]).to.include({ name: "name", in: "path", required: true });
    expect(echo.requestBody.content["application/json"].schema.properties.grams.type).to.equal("integer");
    // Query parameters: those of the schema, and none for a route that takes none.
    expect(echo.parameters.map((p: { in: string }) => p.in)).to.deep.equal(["path"]);
    expect(document.paths["/v1/echo"].post.parameters).to.equal(undefined);
    expect(document.paths["/v1/tagged"].post.parameters).to.deep.equal([{ name: "type", in: "query", required: false, schema: { type: "string", maxLength: 10 } }]);
    expect(document.paths["/v1/boom"].get.security).to.equal(undefined);
  });
});

/** An app of `routes` listening on a free port; `close` stops it. */
async function listen(app: ReturnType<typeof createApp>) {
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** An app of a public and a member route whose per-IP limit is 3 requests, behind `trustedProxies`. */
function limitedApp(db: Database, trustedProxies?: string[]) {
  return createApp({
    db,
    logger: pino({ level: "silent" }),
    routes: [
      defineRoute({ method: "get", path: "/v1/ping", summary: "public", auth: "public", responses: { 200: { description: "pong" } }, handler: async () => ({ status: 200, body: { pong: true } }) }),
      defineRoute({ method: "post", path: "/v1/write", summary: "a write", auth: "member", responses: { 200: { description: "done" } }, handler: async () => ({ status: 200, body: {} }) }),
    ],
    limits: {
      perToken: createRateLimiter({ capacity: 1000, perSecond: 1000 }),
      perIp: createRateLimiter({ capacity: 3, perSecond: 0.001 }),
    },
    ...(trustedProxies ? { trustedProxies } : {}),
  });
}

describe("gateway app: rate limit per client IP", () => {
  let db: Database;
  let running: Awaited<ReturnType<typeof listen>>;

  before(async () => {
    db = await openMigratedPglite();
    // This test client plays the configured reverse proxy (FIRSTMILE_TRUSTED_PROXIES=127.0.0.1).
    running = await listen(limitedApp(db, ["127.0.0.1"]));
  });

  after(async () => {
    await running.close();
    await db.close();
  });

  // From a trusted proxy, X-Forwarded-For names the client.
  const from = (ip: string) => ({ "x-forwarded-for": ip });

  it("answers the request beyond an IP's capacity with 429, Retry-After and the error shape, on every path", async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${running.base}/v1/ping`, { headers: from("198.51.100.7") })).status);
    expect(statuses).to.deep.equal([200, 200, 200]);
    const limited = await fetch(`${running.base}/v1/ping`, { headers: from("198.51.100.7") });
    expect(limited.status).to.equal(429);
    const body = await limited.json();
    const retryAfterSeconds = body.error.details.retryAfterSeconds;
    expect(retryAfterSeconds).to.be.a("number").greaterThan(0);
    expect(body).to.deep.equal({ error: { code: "rate_limited", message: `too many requests; retry in ${retryAfterSeconds} s`, details: { retryAfterSeconds } } });
    expect(limited.headers.get("retry-after")).to.equal(String(retryAfterSeconds));
    // A write on the direct path is limited too, before its token is looked at.
    const write = await fetch(`${running.base}/v1/write`, { method: "POST", headers: from("198.51.100.7") });
    expect(write.status).to.equal(429);
    expect((await write.json()).error.code).to.equal("rate_limited");
  });

  it("limits each IP on its own: another client is still answered", async () => {
    expect((await fetch(`${running.base}/v1/ping`, { headers: from("198.51.100.7") })).status).to.equal(429);
    expect((await fetch(`${running.base}/v1/ping`, { headers: from("203.0.113.9") })).status).to.equal(200);
    const write = await fetch(`${running.base}/v1/write`, { method: "POST", headers: from("203.0.113.9") });
    expect(write.status).to.equal(401);
    expect((await fetch(`${running.base}/v1/ping`)).status).to.equal(200);
  });
});

describe("gateway app: forwarded headers from clients that are not a configured proxy", () => {
  let db: Database;

  before(async () => {
    db = await openMigratedPglite();
  });
  after(async () => {
    await db.close();
  });

  for (const [name, proxies] of [["no proxy configured (the default)", undefined], ["a proxy configured at another address", ["10.0.0.5", "192.168.0.0/16"]]] as const) {
    it(`${name}: a client naming a new X-Forwarded-For on every request is still limited by its own address`, async () => {
      const running = await listen(limitedApp(db, proxies ? [...proxies] : undefined));
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const answer = await fetch(`${running.base}/v1/ping`, { headers: { "x-forwarded-for": `198.51.100.${i + 1}`, "x-forwarded-proto": "https" } });
          statuses.push(answer.status);
        }
        expect(statuses).to.deep.equal([200, 200, 200, 429, 429]);
        // Nor does a chain of addresses help.
        expect((await fetch(`${running.base}/v1/ping`, { headers: { "x-forwarded-for": "203.0.113.1, 127.0.0.1" } })).status).to.equal(429);
      } finally {
        await running.close();
      }
    });
  }
});

describe("gateway app: one log line per request", () => {
  let db: Database;
  let running: Awaited<ReturnType<typeof listen>>;
  let token: string;
  const lines: Array<Record<string, unknown>> = [];
  const written: string[] = [];
  let logger: pino.Logger;

  before(async () => {
    db = await openMigratedPglite();
    token = (await issueApiToken(db, 21n, "logged phone")).token;
    logger = pino({ level: "debug" }, {
      write(line: string) {
        written.push(line);
        lines.push(JSON.parse(line));
      },
    });
    running = await listen(
      createApp({
        db,
        logger,
        routes: ROUTES,
      }),
    );
  });

  after(async () => {
    await running.close();
    await db.close();
  });

  /** The lines logged for a request id (the server may log just after the client has its answer). */
  async function linesOf(requestId: string | null) {
    const deadline = Date.now() + 2_000;
    for (;;) {
      const found = lines.filter((line) => line.requestId === requestId);
      if (found.length > 0 || Date.now() > deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it("logs each request with the id of its x-request-id header, its member, and never its token: answered at debug, refused at info", async () => {
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const direct = await fetch(`${running.base}/v1/echo`, { method: "POST", headers, body: '{"grams":1}' });
    const routed = await fetch(`${running.base}/v1/echo/abc`, { method: "POST", headers: { ...headers, "x-request-id": "client-id-1" }, body: '{"grams":1}' });
    expect([direct.status, routed.status]).to.deep.equal([200, 200]);
    const requestId = direct.headers.get("x-request-id");
    expect(requestId).to.match(/^[0-9a-f-]{36}$/);

    const [directLine, ...moreDirect] = await linesOf(requestId);
    expect(moreDirect).to.deep.equal([]);
    expect(directLine).to.deep.include({ level: 20, msg: "request", requestId, method: "POST", path: "/v1/echo", status: 200, memberId: "21" });
    expect(directLine!.ms).to.be.a("number");
    const [routedLine] = await linesOf("client-id-1");
    expect(routedLine).to.deep.include({ level: 20, requestId: "client-id-1", path: "/v1/echo/abc", route: "/v1/echo/:name", status: 200, memberId: "21" });

    // Refused requests are logged too, without a member, and without their query string.
    const refused = await fetch(`${running.base}/v1/echo?token=x`, { method: "POST", headers: { authorization: "Bearer fm_wrong" } });
    expect(refused.status).to.equal(401);
    const [refusedLine] = await linesOf(refused.headers.get("x-request-id"));
    expect(refusedLine).to.deep.include({ level: 30, path: "/v1/echo", status: 401 });
    expect(refusedLine).not.to.have.property("memberId");

    const everything = written.join("");
    expect(everything).not.to.contain(token);
    expect(everything).not.to.contain("fm_wrong");
    expect(everything.toLowerCase()).not.to.contain("bearer");
    expect(everything.toLowerCase()).not.to.contain("authorization");
  });

  it("at the default level (info) writes nothing for an answered request, and still the refused and failed ones", async () => {
    logger.level = "info";
    try {
      const answered = await fetch(`${running.base}/v1/echo`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: '{"grams":1}' });
      const refused = await fetch(`${running.base}/v1/echo`, { method: "POST", headers: { authorization: "Bearer fm_wrong" } });
      const failed = await fetch(`${running.base}/v1/boom`);
      expect([answered.status, refused.status, failed.status]).to.deep.equal([200, 401, 500]);
      expect((await linesOf(refused.headers.get("x-request-id"))).map((line) => line.level)).to.deep.equal([30]);
      expect((await linesOf(failed.headers.get("x-request-id"))).map((line) => line.level)).to.deep.equal([50]);
      // Logged in the order they closed: the answered one came first, and wrote nothing.
      expect(lines.filter((line) => line.requestId === answered.headers.get("x-request-id"))).to.deep.equal([]);
    } finally {
      logger.level = "debug";
    }
  });

  it("logs a 5xx once, at error, with the error and the request id the client was given", async () => {
    const response = await fetch(`${running.base}/v1/boom`);
    expect(response.status).to.equal(500);
    expect(await response.text()).not.to.contain("deadbeef");
    const requestId = response.headers.get("x-request-id");
    const logged = await linesOf(requestId);
    expect(logged).to.have.length(1);
    expect(logged[0]).to.deep.include({ level: 50, msg: "request failed", requestId, method: "GET", path: "/v1/boom", status: 500 });
    expect((logged[0]!.err as { message: string }).message).to.equal("secret internal detail 0xdeadbeef");
  });
});

describe("gateway app: token lookups", () => {
  it("looks a token up once for the requests that miss the cache together", async () => {
    const db = await openMigratedPglite();
    let server: Server | undefined;
    try {
      const { token } = await issueApiToken(db, 9n, "busy client");
      let lookups = 0;
      const counting: Queryable = {
        engine: db.engine,
        exec: (sql) => db.exec(sql),
        // A slow lookup: every request below arrives while the first one's is still out.
        query: async (sql, params) => {
          if (sql.includes("members_auth")) {
            lookups += 1;
            await new Promise((resolve) => setTimeout(resolve, 300));
          }
          return db.query(sql, params);
        },
      };
      const app = createApp({
        db: counting,
        logger: pino({ level: "silent" }),
        routes: [
          defineRoute({
            method: "post",
            path: "/v1/who",
            summary: "the member acting",
            auth: "member",
            responses: { 200: { description: "the member id" } },
            handler: async ({ memberId }) => ({ status: 200, body: { memberId: String(memberId) } }),
          }),
        ],
        tokenCache: createTokenCache(60_000),
      });
      server = app.listen(0, "127.0.0.1");
      await new Promise((resolve) => server!.once("listening", resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/who`;
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" })),
      );
      expect(await Promise.all(answers.map((answer) => answer.json()))).to.deep.equal(Array.from({ length: 20 }, () => ({ memberId: "9" })));
      expect(lookups).to.equal(1);
      // A revoked token is refused for every request that carried it, still after one lookup.
      const revoked = (await issueApiToken(db, 10n, "lost phone")).token;
      await revokeApiTokens(db, 10n);
      const refused = await Promise.all(Array.from({ length: 5 }, () => fetch(url, { method: "POST", headers: { authorization: `Bearer ${revoked}` } })));
      expect(refused.map((answer) => answer.status)).to.deep.equal([401, 401, 401, 401, 401]);
      expect(lookups).to.equal(2);
    } finally {
      if (server) await new Promise((resolve) => server!.close(resolve));
      await db.close();
    }
  });
});

describe("gateway app: answers before Express (atOnce)", () => {
  let db: Database;
  const lines: Array<Record<string, unknown>> = [];
  const tried: string[] = [];
  /** Answers GET /fast at once; /fast/missing through Express (as a page that turned out missing); nothing else. */
  const fast: AtOnceAnswer = (req, res, app) => {
    tried.push(req.url ?? "");
    if (!req.url?.startsWith("/fast") || !app.admit()) return false;
    if (req.url === "/fast/throws") throw new Error("secret internal detail 0xfeed");
    if (req.url === "/fast/missing") {
      const made = app.express();
      made.res.status(404).json({ error: { code: "missing", message: "no such page", details: null } });
      return true;
    }
    res.writeHead(200, ["content-type", "text/plain", "x-request-id", app.requestId, "x-seen-as", `${app.protocol} ${app.address}`]);
    res.end(req.method === "HEAD" ? undefined : "fast");
    return true;
  };
  const appWith = (trustedProxies?: string[]) =>
    createApp({
      db,
      logger: pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
      routes: ROUTES,
      limits: { perToken: createRateLimiter({ capacity: 1000, perSecond: 1000 }), perIp: createRateLimiter({ capacity: 4, perSecond: 0.001 }) },
      atOnce: [fast],
      ...(trustedProxies ? { trustedProxies } : {}),
    });

  before(async () => {
    db = await openMigratedPglite();
  });
  after(async () => {
    await db.close();
  });

  it("answers with the request's id and log line, within the per-IP limit; refused, the usual path says 429", async () => {
    const running = await listen(appWith());
    try {
      const offered = await fetch(`${running.base}/fast`, { headers: { "x-request-id": "client-7" } });
      expect([offered.status, await offered.text(), offered.headers.get("x-request-id")]).to.deep.equal([200, "fast", "client-7"]);
      const missing = await fetch(`${running.base}/fast/missing`);
      expect(missing.status).to.equal(404);
      const missingId = missing.headers.get("x-request-id");
      expect(missingId).to.match(/^[0-9a-f-]{36}$/);
      // A POST is never tried (and counts on the usual path); the HEAD uses up the limit of 4.
      expect((await fetch(`${running.base}/fast`, { method: "POST" })).status).to.equal(404);
      expect((await fetch(`${running.base}/fast`, { method: "HEAD" })).status).to.equal(200);
      const refused = await fetch(`${running.base}/fast`);
      expect(refused.status).to.equal(429);
      expect((await refused.json()).error.code).to.equal("rate_limited");
      expect(refused.headers.get("retry-after")).to.match(/^\d+$/);
      expect(tried).to.deep.equal(["/fast", "/fast/missing", "/fast", "/fast"]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(lines.find((line) => line.requestId === "client-7")).to.deep.include({ level: 20, method: "GET", path: "/fast", status: 200 });
      expect(lines.find((line) => line.requestId === missingId)).to.deep.include({ level: 30, path: "/fast/missing", status: 404 });
    } finally {
      await running.close();
    }
  });

  it("answers an answer's throw as the usual path answers a failure: 500, the request id, one line at error", async () => {
    const running = await listen(appWith());
    try {
      const failed = await fetch(`${running.base}/fast/throws`);
      expect(failed.status).to.equal(500);
      const body = await failed.text();
      expect(body).not.to.contain("feed");
      expect(JSON.parse(body).error.code).to.equal("internal");
      const requestId = failed.headers.get("x-request-id");
      expect(requestId).to.match(/^[0-9a-f-]{36}$/);
      // The server still answers.
      expect((await fetch(`${running.base}/fast`)).status).to.equal(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(lines.filter((line) => line.requestId === requestId).map((line) => line.level)).to.deep.equal([50]);
    } finally {
      await running.close();
    }
  });

  it("behind a trusted proxy, sees the forwarded address and scheme as Express would, and limits per forwarded address", async () => {
    tried.length = 0;
    const running = await listen(appWith(["127.0.0.1"]));
    try {
      const from = (ip: string) => ({ "x-forwarded-for": `203.0.113.1, ${ip}`, "x-forwarded-proto": "https" });
      const first = await fetch(`${running.base}/fast`, { headers: from("198.51.100.7") });
      expect([first.status, first.headers.get("x-seen-as")]).to.deep.equal([200, "https 198.51.100.7"]);
      for (let i = 0; i < 3; i++) expect((await fetch(`${running.base}/fast`, { headers: from("198.51.100.7") })).status).to.equal(200);
      const refused = await fetch(`${running.base}/fast`, { headers: from("198.51.100.7") });
      expect(refused.status).to.equal(429);
      const other = await fetch(`${running.base}/fast`, { headers: from("198.51.100.8") });
      expect([other.status, other.headers.get("x-seen-as")]).to.deep.equal([200, "https 198.51.100.8"]);
      expect(tried).to.have.length(6);
    } finally {
      await running.close();
    }
  });

  it("from a client that is not a trusted proxy, believes no forwarded header", async () => {
    const running = await listen(appWith(["10.0.0.5"]));
    try {
      const answer = await fetch(`${running.base}/fast`, { headers: { "x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https" } });
      expect([answer.status, answer.headers.get("x-seen-as")]).to.deep.equal([200, "http 127.0.0.1"]);
    } finally {
      await running.close();
    }
  });
});
