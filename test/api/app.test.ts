import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { gzipSync } from "node:zlib";
import { expect } from "chai";
import pino from "pino";
import { z } from "zod";
import { createApp, createRateLimiter, createTokenCache, defineRoute, issueApiToken, revokeApiTokens } from "../../src/api";
import { openPglite } from "../../src/db/pglite";
import { migrate } from "../../src/db/migrate";
import type { Database, Queryable } from "../../src/db";

describe("gateway app (Express): auth, validation, one error shape, OpenAPI", () => {
  let db: Database;
  let server: Server;
  let base: string;
  let token: string;
  let healthy = true;

  const routes = [
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
      handler: async ({ body, memberId }, req) => {
        if (body.grams === 13) throw new Error("secret internal detail 0xdeadbeef");
        return { status: 200, body: { name: "abc", grams: body.grams, memberId: String(memberId), query: req.query } };
      },
    }),
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

  before(async () => {
    db = await openPglite({ dir: null });
    await migrate(db, {});
    token = (await issueApiToken(db, 7n, "field phone")).token;
    const app = createApp({
      db,
      logger: pino({ level: "silent" }),
      routes,
      readiness: { chain: async () => ({ ok: healthy }) },
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
    expect(await notReady.json()).to.deep.equal({ status: "not ready", checks: { chain: { ok: false } } });
    healthy = true;
    expect((await fetch(`${base}/readyz`)).status).to.equal(200);
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
    const cases: Array<{ body: string; headers?: Record<string, string> }> = [
      { body: '{"grams":5}' },
      { body: '{"grams":-5}' },
      { body: "{grams:" },
      { body: JSON.stringify({ grams: 1, pad: "x".repeat(2000) }) },
      { body: '{"grams":1}', headers: { authorization: "" } },
      { body: '{"grams":1}', headers: { "content-type": "application/json; charset=latin1" } },
      { body: gzipSync(JSON.stringify({ grams: 4 })) as unknown as string, headers: { "content-encoding": "gzip" } },
    ];
    for (const { body, headers } of cases) {
      const answers = [];
      for (const path of ["/v1/echo", "/v1/echo/abc"]) {
        const response = await post(path, body, { authorization: await fresh(), "x-request-id": "same-id", ...headers });
        const json = await response.json();
        answers.push({ status: response.status, requestId: response.headers.get("x-request-id"), json: { ...json, query: undefined } });
      }
      expect(answers[0], body.slice(0, 20)).to.deep.equal(answers[1]);
    }
    // The query string, a trailing slash, an unexpected error, rate limits: as through the router.
    const auth = { authorization: await fresh() };
    expect(await (await post("/v1/echo?x=1", '{"grams":2}', auth)).json()).to.deep.include({ grams: 2, query: { x: "1" } });
    expect((await post("/v1/echo/", '{"grams":2}', auth)).status).to.equal(200);
    const failed = await post("/v1/echo", '{"grams":13}', { authorization: await fresh() });
    expect(failed.status).to.equal(500);
    expect(await failed.text()).not.to.contain("deadbeef");
    const limited = { authorization: await fresh() };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post("/v1/echo", '{"grams":1}', limited)).status);
    expect(statuses).to.deep.equal([200, 200, 200, 429]);
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
    expect(await response.json()).to.deep.equal({ error: { code: "not_found", message: "no route GET /v1/nothing" } });
  });

  it("publishes an OpenAPI document generated from the same schemas", async () => {
    const document = await (await fetch(`${base}/openapi.json`)).json();
    const echo = document.paths["/v1/echo/{name}"].post;
    expect(echo.security).to.deep.equal([{ bearer: [] }]);
    expect(echo.parameters[0]).to.include({ name: "name", in: "path", required: true });
    expect(echo.requestBody.content["application/json"].schema.properties.grams.type).to.equal("integer");
    expect(document.paths["/v1/boom"].get.security).to.equal(undefined);
  });
});

describe("gateway app: token lookups", () => {
  it("looks a token up once for the requests that miss the cache together", async () => {
    const db = await openPglite({ dir: null });
    let server: Server | undefined;
    try {
      await migrate(db, {});
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
