import { gzipSync } from "node:zlib";
import { mulberry32 } from "../helpers/seededRandom";
import { expect } from "chai";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { addMemberThroughGateway, startTestGateway, type TestGateway } from "../gateway/helpers";

/**
 * A fuzzer driven by the gateway's own `/openapi.json`: every route and method it lists (so a new
 * route is fuzzed without touching this file), each sent inputs of the kinds that once got a 500 or
 * slipped through: path parameters that are not percent-encoding, values of the wrong type, unknown
 * keys at the top level and inside list items, NUL characters, huge numbers, a bad Content-Encoding
 * or Content-Type, odd Authorization headers. Seeded (FUZZ_SEED) and bounded (MAX_REQUESTS).
 * It asserts: never a 5xx; every JSON error answer is exactly `{ error: { code, message, details } }`;
 * a refused request changes no state (the tables requests write, counted before and after).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_101);
const MAX_REQUESTS = 600;

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  minimum?: number;
};
type Operation = { parameters?: Array<{ name: string; in: "path" | "query"; schema: Schema }>; requestBody?: { content: Record<string, { schema: Schema }> }; security?: unknown[] };
type FuzzRequest = { label: string; method: string; path: string; headers: Record<string, string>; body?: string | Buffer };

/** mulberry32: a small seeded generator, so a failing run can be replayed with its seed. */
function random(seed: number) {
  const next = mulberry32(seed);
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]! };
}

/** A plausible value for a schema: valid where it is easy to be, so the mutation is what gets refused. */
function example(schema: Schema | undefined, account: string, depth = 0): unknown {
  if (!schema || depth > 6) return "x";
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const branch = schema.anyOf?.[0] ?? schema.oneOf?.[0] ?? schema.allOf?.[0];
  if (branch) return example(branch, account, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "object": {
      const value: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        if ((schema.required ?? []).includes(name)) value[name] = example(property, account, depth + 1);
      }
      return value;
    }
    case "array":
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => example(schema.items, account, depth + 1));
    case "integer":
    case "number":
      return Math.max(1, schema.minimum ?? 1);
    case "boolean":
      return true;
    case "string": {
      const pattern = schema.pattern ?? "";
      if (pattern.includes("{40}")) return account;
      if (pattern.includes("{64}")) return `0x${"ab".repeat(32)}`;
      if (pattern.includes("{130}")) return `0x${"11".repeat(65)}`;
      if (pattern.includes("\\d")) return "1000";
      return "x";
    }
    default:
      return "x";
  }
}

/** The dotted paths of every value in `value` (for mutations aimed at one field). */
function leaves(value: unknown, at: string[] = []): string[][] {
  if (Array.isArray(value)) return value.flatMap((item, index) => leaves(item, [...at, String(index)]));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([key, item]) => leaves(item, [...at, key]));
  return at.length ? [at] : [];
}

function withValue(value: unknown, at: readonly string[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[at[at.length - 1]!] = replacement;
  return copy;
}

/** The first object inside a list (deliveries[0], parts[0], outputs[0], attestations[0]), if any. */
function firstListItem(value: unknown, at: string[] = []): string[] | null {
  if (Array.isArray(value)) return value[0] !== null && typeof value[0] === "object" && !Array.isArray(value[0]) ? [...at, "0"] : null;
  if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const found = firstListItem(item, [...at, key]);
      if (found) return found;
    }
  }
  return null;
}

describe("fuzzing the API from its own /openapi.json (seeded, bounded)", function () {
  this.timeout(240_000);
  let dir: string;
  let running: TestGateway;
  let token: string;
  let account: string;

  before(async function () {
    dir = makeTempDir("openapi-fuzz");
    running = await startTestGateway(dir, { FIRSTMILE_RATE_LIMIT_PER_IP: "100000", FIRSTMILE_RATE_LIMIT_PER_TOKEN: "100000", FIRSTMILE_LOG_LEVEL: "warn" });
    const member = await addMemberThroughGateway(running.gateway, { roles: ["cooperative", "processor", "certifier"], country: "ID" });
    token = member.token;
    account = member.accounts[0]!.address;
  });
  after(async function () {
    await running?.gateway.stop();
    removeTempDir(dir);
  });

  /** Row counts of what requests write synchronously (the relay worker adds only custodial calls). */
  const snapshot = async () =>
    (
      await running.gateway.db.query(
        `select (select count(*) from outbox)::int as outbox,
                (select count(*) from relay_calls where not custodial)::int as self_signed_calls,
                (select count(*) from evidence_uploads)::int as evidence,
                (select count(*) from origin_plots)::int as plots,
                (select count(*) from products)::int as products,
                (select count(*) from farmers)::int as farmers,
                (select count(*) from farmer_consents)::int as consents,
                (select count(*) from farmer_consent_withdrawals)::int as withdrawals,
                (select count(*) from private_evidence)::int as private_evidence,
                (select count(*) from members_auth)::int as tokens,
                (select count(*) from custodial_keys)::int as keys`,
      )
    ).rows[0];

  function requestsFrom(document: { paths: Record<string, Record<string, Operation>> }): FuzzRequest[] {
    const rng = random(SEED);
    const requests: FuzzRequest[] = [];
    const auth = { authorization: `Bearer ${token}` };
    for (const [template, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const pathParams = (operation.parameters ?? []).filter((p) => p.in === "path");
        const fill = (value: (name: string, schema: Schema) => string) =>
          template.replace(/\{([^}]+)\}/g, (_, name: string) => value(name, pathParams.find((p) => p.name === name)?.schema ?? {}));
        const path = fill((_, schema) => encodeURIComponent(String(example(schema, account))));
        const bodySchema = operation.requestBody?.content["application/json"]?.schema;
        const body = bodySchema ? example(bodySchema, account) : undefined;
        const json = (value: unknown, headers: Record<string, string> = {}) => ({ method: method.toUpperCase(), headers: { ...auth, "content-type": "application/json", ...headers }, body: JSON.stringify(value) });
        const add = (label: string, request: Omit<FuzzRequest, "label" | "path"> & { path?: string }) => requests.push({ label: `${method.toUpperCase()} ${template}: ${label}`, path: request.path ?? path, ...request });

        // The path: parameters that are not percent-encoding, or not what they name.
        for (const bad of ["%zz", "%E0%A4%A", "%", "..%2F..", "9".repeat(100), "-1", "0x", "%00"]) {
          if (pathParams.length) add(`path parameter ${bad}`, { path: fill(() => bad), method: method.toUpperCase(), headers: auth, ...(body !== undefined ? { body: JSON.stringify(body), headers: { ...auth, "content-type": "application/json" } } : {}) });
        }
        // The query: unknown parameters, values of the wrong kind.
        add("unknown query parameter", { path: `${path}?zz_unknown=1`, method: method.toUpperCase(), headers: auth });
        for (const query of (operation.parameters ?? []).filter((p) => p.in === "query")) {
          for (const bad of ["%zz", "-1", "1e400", "x".repeat(300), "%00"]) add(`query ${query.name}=${bad}`, { path: `${path}?${query.name}=${bad}`, method: method.toUpperCase(), headers: auth });
        }
        // Authorization: none, the wrong scheme, a malformed token.
        if (operation.security) {
          for (const authorization of ["", "Basic abc", "Bearer", "Bearer fm_short", `Bearer ${token}x`]) add(`authorization ${JSON.stringify(authorization)}`, { method: method.toUpperCase(), headers: { authorization }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
        }
        if (method !== "post") continue;
        const sent = body ?? {};

        // The body: each field given the wrong type, unknown keys, NUL, huge numbers.
        const fields = leaves(sent);
        for (const at of fields) {
          const wrong = rng.pick<unknown>([{}, [], null, true, -1, 1.5, "", "x".repeat(2_000), [1, 2], { a: 1 }]);
          add(`${at.join(".")} = ${JSON.stringify(wrong).slice(0, 20)}`, json(withValue(sent, at, wrong)));
          add(`${at.join(".")} with NUL`, json(withValue(sent, at, "a\u0000b")));
          add(`${at.join(".")} huge`, { ...json(sent), body: JSON.stringify(withValue(sent, at, "__HUGE__")).replace('"__HUGE__"', rng.pick(["1e400", "-1e400", "9".repeat(400), "18446744073709551616", "1e-400"])) });
        }
        add("not an object", json(rng.pick<unknown>([[], "text", 42, null])));
        add("unknown key at the top level", json({ ...(sent as object), zz_unknown: 1 }));
        const item = firstListItem(sent);
        if (item) add(`unknown key in ${item.join(".")}`, json(withValue(sent, item, { ...(item.reduce<any>((node, key) => node[key], sent) as object), zz_unknown: 1 })));
        add("NUL in a key", json({ ...(sent as object), "a\u0000": 1 }));
        // The envelope: encodings and types the gateway cannot read, before and after the token.
        const envelopes: Array<Record<string, string>> = [{ "content-encoding": "bogus" }, { "content-encoding": "gzip" }, { "content-encoding": "deflate, bogus" }, { "content-type": "text/plain" }, { "content-type": "application/json; charset=latin1" }];
        for (const headers of envelopes) {
          add(`headers ${JSON.stringify(headers)}`, json(sent, headers));
          add(`headers ${JSON.stringify(headers)} without a token`, { ...json(sent, headers), headers: { "content-type": "application/json", ...headers } });
        }
        add("gzip of a body with NUL", { ...json(sent, { "content-encoding": "gzip" }), body: gzipSync(JSON.stringify({ ...(sent as object), note: "\u0000" })) });
        add("truncated JSON", { ...json(sent), body: JSON.stringify(sent).slice(0, -1) });
      }
    }
    // The pages and the IPFS gateway take path segments too.
    for (const path of ["/l/%zz", "/l/%E0%A4%A", "/01/%zz/10/1", "/01/09506000134352/10/%zz", "/ipfs/%zz", "/l/1/qr.svg%zz"]) {
      requests.push({ label: `GET ${path} as JSON`, method: "GET", path, headers: { accept: "application/json" } });
      requests.push({ label: `GET ${path}`, method: "GET", path, headers: {} });
    }
    // Bounded: a seeded sample when the API outgrows the budget.
    while (requests.length > MAX_REQUESTS) requests.splice(Math.floor(rng.next() * requests.length), 1);
    return requests;
  }

  it("answers every generated request without a 5xx, with the one error shape, and a refused request changes nothing", async function () {
    const base = running.gateway.url;
    const document = await (await fetch(`${base}/openapi.json`)).json();
    const requests = requestsFrom(document);
    expect(requests.length, "requests generated").to.be.greaterThan(200);
    const started = Date.now();
    const failures: string[] = [];
    let refused = 0;
    for (const request of requests) {
      const before = await snapshot();
      const response = await fetch(`${base}${request.path}`, { method: request.method, headers: request.headers, body: request.body as BodyInit | undefined });
      const text = await response.text();
      const where = `${request.label} -> ${response.status} ${text.slice(0, 160)}`;
      if (response.status >= 500) failures.push(`5xx: ${where}`);
      if (response.status < 400) continue;
      refused++;
      if ((response.headers.get("content-type") ?? "").startsWith("application/json")) {
        try {
          const body = JSON.parse(text);
          const shaped = Object.keys(body).join() === "error" && Object.keys(body.error).join() === "code,message,details" && typeof body.error.code === "string" && typeof body.error.message === "string";
          if (!shaped) failures.push(`shape: ${where}`);
        } catch {
          failures.push(`not JSON: ${where}`);
        }
      } else if (request.headers.accept === "application/json" && !request.path.startsWith("/ipfs/")) {
        failures.push(`asked for JSON: ${where}`);
      }
      const after = await snapshot();
      if (JSON.stringify(after) !== JSON.stringify(before)) failures.push(`state changed: ${where} ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
    }
    console.log(`      ${requests.length} requests (seed ${SEED}), ${refused} refused, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(failures, failures.slice(0, 20).join("\n")).to.deep.equal([]);
  });
});
