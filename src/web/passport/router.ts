import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";
import express, { type Request, type Response } from "express";
import type { AtOnceAnswer } from "../../api/app";
import { clientAddress } from "../../api/clientAddress";
import { createRateLimiter, type RateLimiter } from "../../api/rateLimit";
import { fitsReadModelId } from "../../indexer/queries";
import { BATCH_PATTERN, checkGtin, findProduct, gtinCheckDigit, type Product } from "../../products";
import { message, pickLocale, type Locale, type MessageKey } from "../i18n";
import { buildPassportWithDigest, passportRowsUnchanged, recheckPassport, PassportTooLargeError, type KeptPassport, type PassportSources } from "./buildPassport";
import { answerOf, bodyOf, createPassportCache, type CachedPassport, type PassportBuild, type PassportCache, type PreparedAnswer } from "./passportCache";
import { LINKSET_MEDIA_TYPE, productLinkHeader, productLinks, productLinkset, requestedLinkType } from "./linkset";
import { renderMessagePage, renderPassportPage } from "./render";
import type { LotPassport } from "./types";

export type PassportRouterParameters = PassportSources & {
  /** Public per-IP limit (default: bursts of 30, 3 pages a second). */
  limiter?: RateLimiter;
  /**
   * Seconds a browser or CDN may keep a page (default 5): the page says the block and time it was
   * checked at, so a kept copy is never taken for a newer check.
   */
  maxAgeSeconds?: number;
  /**
   * The block the read model holds now (the gateway passes its indexer's, kept in memory); a page
   * is built and checked once per lot and block. Default: the indexer's checkpoint, read per view.
   */
  indexedBlock?: () => number | null | Promise<number | null>;
  /** The pages kept (default: a cache of its own over `indexedBlock`). */
  cache?: PassportCache;
  onError?: (error: unknown) => void;
  /**
   * The public base URL the links of a product's linkset and `Link` header are under (default:
   * the request's own scheme and host).
   */
  publicBase?: () => string;
};

const SECURITY_HEADERS = {
  // frame-ancestors: no other site may frame the page (clickjacking a consumer into trusting a claim).
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const SECURITY_LIST = Object.entries(SECURITY_HEADERS).flat();

type Encoding = "br" | "gzip" | "identity";

/** A body as sent with `encoding`: compressed once per build and variant, never per view. */
function encode(body: Buffer, encoding: Encoding): Buffer {
  if (encoding === "gzip") return gzipSync(body, { level: 6 });
  // Quality 5: most of brotli's gain for a few milliseconds (11 would take a page's build time again).
  if (encoding === "br") return brotliCompressSync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length } });
  return body;
}

/** What was worked out from a header's value, by value; forgotten when too many values came (any client may send any). */
function remembered<T>(max = 256) {
  const known = new Map<string, T>();
  return {
    /** What was worked out from `value` before, if it was. */
    peek(value: string): T | undefined {
      return known.get(value);
    },
    get(value: string, work: () => T): T {
      const found = known.get(value);
      if (found !== undefined) return found;
      const result = work();
      if (known.size >= max) known.clear();
      known.set(value, result);
      return result;
    },
  };
}

/** The path of a request target, without its query. */
function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

const LOT_ID = /^[1-9]\d{0,18}$/;

type Values = Record<string, string | number>;

/** Why a GTIN is refused, in the reader's language (as `checkGtin` finds it); null if it is valid. */
export function gtinProblem(locale: Locale, gtin: string): string | null {
  if (!/^\d+$/.test(gtin)) return message(locale, "gtinDigitsOnly");
  if (![8, 12, 13, 14].includes(gtin.length)) return message(locale, "gtinLength", { length: gtin.length });
  const expected = gtinCheckDigit(gtin.slice(0, -1));
  const given = gtin.at(-1)!;
  return String(expected) === given ? null : message(locale, "gtinCheckDigit", { given, expected });
}

/**
 * The public lot page, no authentication: `GET /l/{lotId}` (the gateway's own path for a lot) and
 * the GS1 Digital Link `GET /01/{gtin}/10/{batch}`, as HTML or, with `?format=json` or
 * `Accept: application/json`, as the machine-readable twin `firstmile verify` checks.
 */
export type PassportRouter = express.Router & {
  /**
   * For the app's answers before Express: a view of a page kept at the read model's block,
   * answered on Node's own request and response with the same limit, headers and body as above.
   */
  atOnce: AtOnceAnswer;
};

export function createPassportRouter(parameters: PassportRouterParameters): PassportRouter {
  const router = express.Router();
  const limiter = parameters.limiter ?? createRateLimiter({ capacity: 30, perSecond: 3 });
  const maxAge = parameters.maxAgeSeconds ?? 5;
  const sources: PassportSources = { ...parameters, nameCache: parameters.nameCache ?? new Map() };
  const cache = parameters.cache ?? createPassportCache({ indexedBlock: parameters.indexedBlock ?? (() => checkpointBlock(parameters.db)) });

  /** A page built, with the way to make it again at a later block while its rows are unchanged. */
  async function keptBuild(lotId: bigint, product: Product | null): Promise<PassportBuild> {
    const built = await buildPassportWithDigest(sources, lotId, product);
    if (!built) return { passport: null, missing: "lot" };
    const again = (kept: Pick<KeptPassport, "passport" | "digest" | "local">): PassportBuild["recheck"] => async () => {
      const passport = await recheckPassport(sources, kept);
      return passport ? { passport, missing: null, recheck: again({ ...kept, passport }), unchanged: (q) => passportRowsUnchanged(q, { ...kept, passport }) } : null;
    };
    return { passport: built.passport, missing: null, recheck: again(built), unchanged: (q) => passportRowsUnchanged(q, built), localCheckMs: built.localCheckMs };
  }

  const baseOf = (req: Request) => parameters.publicBase?.().replace(/\/+$/, "") || `${req.protocol}://${req.get("host") ?? "localhost"}`;
  /** A Digital Link request for the linkset: `?linkType=linkset` (or `all`), or asked for by media type. */
  const wantsLinkset = (req: Request) => {
    const linkType = req.query.linkType;
    if (linkType !== undefined) return typeof linkType === "string" && requestedLinkType(linkType) === "linkset";
    return negotiated(req).linkset;
  };
  const wantsJson = (req: Request, query: Request["query"] = req.query) => query.format === "json" || (query.format === undefined && negotiated(req).json);
  const localeOf = (req: IncomingMessage, query: Request["query"]): Locale => {
    const { lang } = query;
    const header = req.headers["accept-language"];
    if (lang !== undefined && typeof lang !== "string") return pickLocale(lang, header);
    return languages.get(`${lang ?? ""}\n${header ?? ""}`, () => pickLocale(lang, header));
  };
  // What a header's value makes of a request depends on that value alone: worked out once per
  // value seen (a crowd's browsers send a handful), not once per view.
  // An Accept value asks for the page as JSON or as HTML, or for the linkset: both worked out by
  // the first view with that value, whichever it asked for, so the views after it are answered at once.
  const negotiations = remembered<{ json: boolean; linkset: boolean }>();
  const negotiated = (req: Request) =>
    negotiations.get(req.headers.accept ?? "*/*", () => ({ json: req.accepts(["html", "json"]) === "json", linkset: req.accepts(["html", "json", LINKSET_MEDIA_TYPE]) === LINKSET_MEDIA_TYPE }));
  const languages = remembered<Locale>();
  const encodings = remembered<Encoding>();
  const encodingOf = (req: Request): Encoding => {
    const header = req.headers["accept-encoding"];
    if (header === undefined || header === "") return "identity";
    return encodings.get(header, () => {
      const best = req.acceptsEncodings("br", "gzip", "identity");
      return best === "br" || best === "gzip" ? best : "identity";
    });
  };

  /** `values` may depend on the language (a reason said in it). */
  function refuse(req: Request, res: Response, status: number, code: string, titleKey: MessageKey, bodyKey: MessageKey, values: Values | ((locale: Locale) => Values) = {}) {
    const locale = localeOf(req, req.query);
    const filled = (l: Locale) => (typeof values === "function" ? values(l) : values);
    res.set(SECURITY_HEADERS).set("cache-control", "no-store").status(status);
    if (wantsJson(req) || wantsLinkset(req)) res.type("application/json").send(JSON.stringify({ error: { code, message: message("en", bodyKey, filled("en")), details: null } }));
    else res.type("text/html; charset=utf-8").set("content-language", locale).send(renderMessagePage(locale, titleKey, message(locale, bodyKey, filled(locale))));
  }

  function limited(req: Request, res: Response): boolean {
    const verdict = limiter.take(clientAddress(req));
    if (verdict.allowed) return false;
    res.set("retry-after", String(verdict.retryAfterSeconds));
    refuse(req, res, 429, "rate_limited", "errorTitle", "rateLimited");
    return true;
  }

  /** No page under a kept key: answered as its route answers a lot or product it does not know. */
  function missingPage(req: Request, res: Response, key: string, what: "lot" | "product") {
    const link = /^01\/(\d{14})\/10\/(.+)$/.exec(key);
    if (!link) return refuse(req, res, 404, "lot_not_found", "notFoundTitle", "notFoundLot", { lotId: key });
    const [, gtin, batch] = link as unknown as [string, string, string];
    if (what === "product") return refuse(req, res, 404, "unknown_product", "notFoundTitle", "unknownProduct", { gtin, batch });
    refuse(req, res, 404, "lot_not_found", "notFoundTitle", "notFoundLot", { lotId: `${gtin}/${batch}` });
  }

  /** What a view asks for, as the page's answer is kept by: its form, language, encoding, and where it was asked. */
  type View = { json: boolean; locale: Locale; encoding: Encoding; path: string; origin: string };

  /**
   * A page's answer to `req`: the variant's headers and body, made once per build and variant
   * (form, language, encoding, URL) and then only written. `missing` answers when there is no page.
   */
  function answer(req: Request, res: Response, page: CachedPassport, missing: (what: "lot" | "product") => void, query: Request["query"] = req.query) {
    if (!page.passport) return missing(page.missing ?? "lot");
    // Worked out even when the query names the form: the next views with this Accept value are answered before Express.
    const negotiation = negotiated(req);
    const json = query.format === "json" || (query.format === undefined && negotiation.json);
    const view: View = { json, locale: json ? "en" : localeOf(req, query), encoding: encodingOf(req), path: pathOf(req.originalUrl ?? req.url), origin: `${req.protocol}://${req.get("host") ?? "localhost"}` };
    write(req, res, prepared(page, view));
  }

  function prepared(page: CachedPassport, { json, locale, encoding, path, origin }: View): PreparedAnswer {
    const passport = page.passport!;
    // A product's page names its linkset and GS1 links (a Digital Link resolver's answer).
    const linked = passport.product !== null && path.startsWith("/01/");
    const base = linked ? parameters.publicBase?.().replace(/\/+$/, "") || origin : "";
    const url = json ? "" : `${origin}${path}`;
    return answerOf(page, `${json ? "json" : locale} ${encoding} ${path} ${url} ${base}`, () => {
      const variant = json ? "json" : locale;
      const etag = `W/"${page.digest}.${variant}"`;
      const common: Array<string | number> = [...SECURITY_LIST, "etag", etag, "cache-control", `public, max-age=${maxAge}`, "vary", "Accept, Accept-Language, Accept-Encoding"];
      if (linked) common.push("link", productLinkHeader({ publicBase: base, gtin14: passport.product!.gtin, batch: passport.product!.batch, lotId: passport.lot.lotId }));
      const plain = json ? bodyOf(page, "json", () => JSON.stringify(passport)) : bodyOf(page, `${locale} ${path} ${url}`, () => renderPassportPage(passport, { locale, path, url }));
      const body = encode(plain, encoding);
      const ok = [...common, "content-type", json ? "application/json; charset=utf-8" : "text/html; charset=utf-8"];
      if (!json) ok.push("content-language", locale);
      if (encoding !== "identity") ok.push("content-encoding", encoding);
      ok.push("content-length", body.length);
      return { etag, ok, notModified: common, body };
    });
  }

  /** Written at once (no per-header object to build): a kept page is most of what the gateway sends. */
  function write(req: IncomingMessage, res: ServerResponse, answer: PreparedAnswer, requestId?: string) {
    const condition = req.headers["if-none-match"];
    const notModified = condition !== undefined && matches(condition, answer.etag);
    const headers = (notModified ? answer.notModified : answer.ok) as Array<string | number>;
    res.writeHead(notModified ? 304 : 200, requestId === undefined ? headers : headers.concat("x-request-id", requestId));
    res.end(notModified || req.method === "HEAD" ? undefined : answer.body);
  }

  const failed = (req: Request, res: Response, error: unknown) => {
    if (error instanceof PassportTooLargeError) return refuse(req, res, 422, "too_large", "errorTitle", "tooLarge");
    parameters.onError?.(error);
    if (!res.headersSent) refuse(req, res, 500, "internal", "errorTitle", "errorBody");
  };
  const run = (handler: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response) => {
    handler(req, res).catch((error: unknown) => failed(req, res, error));
  };

  router.get(
    "/l/:lotId",
    run(async (req, res) => {
      if (limited(req, res)) return;
      const raw = String(req.params.lotId);
      if (!LOT_ID.test(raw) || !fitsReadModelId(BigInt(raw))) return refuse(req, res, 400, "invalid_lot_id", "notFoundTitle", "badLotId", { value: raw.slice(0, 40) });
      const lotId = BigInt(raw);
      const page = await cache.get(raw, () => keptBuild(lotId, null));
      answer(req, res, page, () => refuse(req, res, 404, "lot_not_found", "notFoundTitle", "notFoundLot", { lotId: raw }));
    }),
  );

  router.get(
    "/01/:gtin/10/:batch",
    run(async (req, res) => {
      if (limited(req, res)) return;
      const gtin = String(req.params.gtin);
      const batch = String(req.params.batch);
      const checked = checkGtin(gtin);
      if (!checked.ok) return refuse(req, res, 404, "invalid_gtin", "notFoundTitle", "badGtin", (locale) => ({ gtin: gtin.slice(0, 20), reason: gtinProblem(locale, gtin) ?? checked.reason }));
      if (!BATCH_PATTERN.test(batch)) return refuse(req, res, 404, "invalid_batch", "notFoundTitle", "badBatch", { batch: batch.slice(0, 40) });
      const { gtin14 } = checked;
      const linkType = req.query.linkType;
      if (linkType !== undefined && typeof linkType !== "string") return refuse(req, res, 400, "invalid_link_type", "notFoundTitle", "badLink");
      const wanted = wantsLinkset(req) ? "linkset" : requestedLinkType(linkType);
      if (wanted !== "default" && wanted !== "pip") {
        // The linkset and the redirects need only the product's lot, not a built page.
        const product = await findProduct(parameters.db, gtin14, batch);
        if (!product) return refuse(req, res, 404, "unknown_product", "notFoundTitle", "unknownProduct", { gtin: gtin14, batch });
        const links = { publicBase: baseOf(req), gtin14, batch, lotId: product.lotId.toString() };
        res.set(SECURITY_HEADERS).set({ "cache-control": `public, max-age=${maxAge}`, vary: "Accept" });
        if (wanted === "linkset") return void res.type(LINKSET_MEDIA_TYPE).send(JSON.stringify(productLinkset(links)));
        return void res.redirect(307, productLinks(links)[wanted].href);
      }
      const page = await cache.get(`01/${gtin14}/10/${batch}`, async (): Promise<PassportBuild> => {
        const product = await findProduct(parameters.db, gtin14, batch);
        if (!product) return { passport: null, missing: "product" };
        return keptBuild(product.lotId, product);
      });
      answer(req, res, page, (what) =>
        what === "product"
          ? refuse(req, res, 404, "unknown_product", "notFoundTitle", "unknownProduct", { gtin: gtin14, batch })
          : refuse(req, res, 404, "lot_not_found", "notFoundTitle", "notFoundLot", { lotId: `${gtin14}/${batch}` }),
      );
    }),
  );

  // Anything else under the Digital Link or lot prefixes is a malformed link, answered as a page.
  const malformed = (req: Request, res: Response) => {
    if (limited(req, res)) return;
    refuse(req, res, 404, "malformed_link", "notFoundTitle", "badLink");
  };
  // A compressed Digital Link (the AIs as one base64url segment, whole or after the GTIN) is not
  // resolved here: said as such, so a scanner app knows to send the uncompressed form.
  const compressed = (req: Request, res: Response) => {
    if (limited(req, res)) return;
    refuse(req, res, 400, "compressed_link", "errorTitle", "compressedLink");
  };
  router.get(/^\/01\/\d{8,14}\/[A-Za-z0-9_-]{6,}$/, compressed);
  router.get("/01", malformed);
  router.use("/01", (req, res, next) => (req.method === "GET" || req.method === "HEAD" ? malformed(req, res) : next()));
  router.use("/l", (req, res, next) => (req.method === "GET" || req.method === "HEAD" ? malformed(req, res) : next()));
  router.use((req, res, next) => ((req.method === "GET" || req.method === "HEAD") && isCompressedLink(req.path) ? compressed(req, res) : next()));

  // A page kept at the read model's block needs no route matching, SQL or chain, nor Express: a
  // view that needs nothing the routes alone know (a header value seen before, a query without a
  // repeated name) is answered at once on Node's own request and response, with the same limits,
  // headers and body as through the routes above. A page kept at an earlier block waits for the one
  // recheck (or build) at the read model's block that every view then shares.
  const queries = remembered<Request["query"]>();
  const atOnce: AtOnceAnswer = (req, res, app) => {
    const url = req.url ?? "";
    const key = pageKey(url);
    const kept = key === null ? undefined : cache.kept(key);
    if (!kept?.passport) return false;
    const at = url.indexOf("?");
    const query = at === -1 ? NO_QUERY : queries.get(url.slice(at + 1), () => Object.freeze(parseQuery(url.slice(at + 1))));
    const { format, lang, linkType } = query;
    if (linkType !== undefined || (format !== undefined && typeof format !== "string") || (lang !== undefined && typeof lang !== "string")) return false;
    const negotiation = negotiations.peek(req.headers.accept ?? "*/*");
    if (negotiation === undefined || negotiation.linkset) return false;
    const json = format === "json" || (format === undefined && negotiation.json);
    const acceptEncoding = req.headers["accept-encoding"];
    const encoding = acceptEncoding === undefined || acceptEncoding === "" ? "identity" : encodings.peek(acceptEncoding);
    if (encoding === undefined) return false;
    // Refused by either limit: the usual path refuses it, as a page.
    if (!limiter.take(app.address).allowed || !app.admit()) return false;
    cache.stats.viewsAtOnce += 1;
    const view: View = { json, locale: json ? "en" : localeOf(req, query), encoding, path: pathOf(url), origin: `${app.protocol}://${req.headers.host ?? "localhost"}` };
    // Answered here, so never thrown out of here: a failure is answered as the routes answer it.
    const fail = (error: unknown) => {
      if (res.headersSent) return void res.destroy();
      const made = app.express();
      failed(made.req, made.res, error);
    };
    const send = (page: CachedPassport) => {
      try {
        if (page.passport) return write(req, res, prepared(page, view), app.requestId);
        const made = app.express();
        missingPage(made.req, made.res, key!, page.missing ?? "lot");
      } catch (error) {
        fail(error);
      }
    };
    const page = cache.current(key!) ?? cache.get(key!, kept.build);
    if (!(page instanceof Promise)) send(page);
    else page.then(send, fail);
    return true;
  };
  return Object.assign(router, { atOnce });
}

const NO_QUERY: Request["query"] = Object.freeze({});

/** The cache key of a lot page's URL (`/l/{lotId}`, `/01/{gtin}/10/{batch}`), or null for any other. */
function pageKey(url: string): string | null {
  const query = url.indexOf("?");
  const path = query === -1 ? url : url.slice(0, query);
  const lot = /^\/l\/([1-9]\d{0,18})$/.exec(path);
  if (lot) return fitsReadModelId(BigInt(lot[1]!)) ? lot[1]! : null;
  const link = /^\/01\/(\d{8,14})\/10\/([^/%]{1,20})$/.exec(path);
  if (!link || !BATCH_PATTERN.test(link[2]!)) return null;
  const checked = checkGtin(link[1]!);
  return checked.ok ? `01/${checked.gtin14}/10/${link[2]}` : null;
}

/**
 * Whether a path is a compressed GS1 Digital Link: one segment of the base64url alphabet, long
 * enough to hold a GTIN, with letters and digits (no page or file of the gateway looks so).
 */
export function isCompressedLink(path: string): boolean {
  return /^\/[A-Za-z0-9_-]{10,}$/.test(path) && /[A-Za-z]/.test(path) && /\d/.test(path);
}

/** The block of the indexer's checkpoint (null before it has one). */
async function checkpointBlock(db: PassportSources["db"]): Promise<number | null> {
  const { rows } = await db.query<{ block_number: string | number }>("select block_number from indexer_checkpoint order by block_number desc limit 1");
  return rows[0] ? Number(rows[0].block_number) : null;
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = etag.replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim() === "*" || tag.trim().replace(/^W\//, "") === bare);
}
