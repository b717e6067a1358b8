import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import express, { type Request, type Response } from "express";
import { z } from "zod";
import type { RecordSealer } from "../chain/keystore";
import type { Database } from "../db";
import { isLocale, pickLocale } from "../web/i18n";
import {
  ConfirmationRefusedError,
  confirmationOptions,
  digestOfPayment,
  listConfirmations,
  loginOptions,
  recordFallbackConfirmation,
  recordPasskeyConfirmation,
  registerPasskey,
  registrationOptions,
  verifyLogin,
  type PaymentConfirmation,
  type RelyingParty,
} from "../payments/confirmationStore";
import { checkConfirmationProof } from "../payments/confirmationProof";
import { FARMER_PAGE_SCRIPT, codeEntryHtml, farmerPageData, farmerPageHtml } from "../payments/farmerPage";
import { readPayment } from "../payments/paymentStore";
import { RECEIPT_LAYOUTS, receiptSvg } from "../payments/receipt";
import { formatReceiptCode, issueReceiptCode, openReceiptCode } from "../payments/receiptCodes";
import type { FarmerLanguage } from "../farmers/schemas";
import { paymentAnswer } from "./paymentRoutes";
import { ApiError, tooManyRequests } from "./problem";
import { createRateLimiter, type RateLimiter } from "./rateLimit";
import { defineRoute, type AnyRoute } from "./routes";

/**
 * Receipts, the farmer's own page and the farmer's word on payments.
 *
 * - Under the cooperative's token: print a receipt (a new receipt code each time), record a
 *   weaker confirmation (agent-read code, signed paper), read a payment's confirmations with
 *   their proofs.
 * - Under `/me`, for the farmer's phone: a receipt code opens a session (an HttpOnly cookie);
 *   the session reads the farmer's page, registers a passkey, and confirms or disputes a payment
 *   with it. Code lookups are rate-limited per client address. Every answer is `no-store`.
 */
export type FarmerPageRoutesParameters = {
  db: Database;
  records: RecordSealer;
  /** The public base URL (the QR code's target and the WebAuthn origin). */
  publicBase: () => string;
  /** Wrong receipt codes per client address (default 10 at once, then one every 6 seconds). */
  codeLimiter?: RateLimiter;
  rpName?: string;
};

export const SESSION_COOKIE = "fm_farmer";
const SESSION_MS = 30 * 60_000;
const hashToken = (token: string) => createHash("sha256").update(`firstmile.farmer-session.v1:${token}`).digest("hex");
const paymentId = z.string().regex(/^pm_[0-9a-z]{16,40}$/, "a payment id: pm_ and 16 to 40 lower-case letters or digits");
const verdict = z.enum(["confirmed", "disputed"]);
/** A browser's WebAuthn answer (checked in depth by the verifier). */
const credentialResponse = z.looseObject({ id: z.string().min(1).max(1400), rawId: z.string().min(1).max(1400), type: z.literal("public-key"), response: z.looseObject({ clientDataJSON: z.string().min(1).max(8_000) }) });

/** Private answers: never stored by a cache, never framed, no referrer. */
function privateHeaders(res: Response): void {
  res.setHeader("cache-control", "private, no-store");
  res.setHeader("referrer-policy", "no-referrer");
  res.setHeader("x-content-type-options", "nosniff");
}

const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function cookieOf(req: Request, name: string): string | null {
  for (const part of (req.get("cookie") ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return null;
}

export function confirmationJson(c: PaymentConfirmation) {
  return {
    id: c.id,
    paymentId: c.paymentId,
    kind: c.kind,
    countsAsFarmersOwn: c.kind === "passkey",
    verdict: c.verdict,
    paymentDigest: c.paymentDigest,
    proof: c.proof,
    evidenceCid: c.evidenceCid,
    recordedBy: c.recordedBy,
    reason: c.reason,
    createdAt: c.createdAt.toISOString(),
  };
}

export function createFarmerPageRoutes(parameters: FarmerPageRoutesParameters): { routes: AnyRoute[]; router: express.Router } {
  const { db, records, publicBase } = parameters;
  const codeLimiter = parameters.codeLimiter ?? createRateLimiter({ capacity: 10, perSecond: 10 / 60 });
  const blockedUntil = new Map<string, number>();
  const rp = (): RelyingParty => ({ origin: new URL(publicBase()).origin, name: parameters.rpName ?? "firstmile" });

  /** The farmer of the request's session. @throws 401 `no_session`. */
  const sessionFarmer = async (req: Request): Promise<string> => {
    const token = cookieOf(req, SESSION_COOKIE);
    if (token && /^[A-Za-z0-9_-]{43}$/.test(token)) {
      const { rows } = await db.query<{ farmer_id: string }>("select farmer_id from farmer_sessions where token_hash = $1 and expires_at > now()", [hashToken(token)]);
      if (rows[0]) return rows[0].farmer_id;
    }
    throw new ApiError(401, "no_session", "open your page with the code on your receipt first (or your session ended after 30 minutes)");
  };
  /** Opens a session for the farmer: an HttpOnly cookie for /me; only the token's hash is kept. */
  const openSession = async (req: Request, res: Response, farmerId: string, openedWith: "receipt-code" | "passkey") => {
    const token = randomBytes(32).toString("base64url");
    await db.query("insert into farmer_sessions (token_hash, farmer_id, opened_with, expires_at) values ($1, $2, $3, $4)", [hashToken(token), farmerId, openedWith, new Date(Date.now() + SESSION_MS)]);
    const secure = req.secure || publicBase().startsWith("https:");
    res.setHeader("set-cookie", `${SESSION_COOKIE}=${token}; Path=/me; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}${secure ? "; Secure" : ""}`);
  };
  const farmerAnswer = async <T>(run: () => Promise<T>): Promise<T> =>
    paymentAnswer(async () => {
      try {
        return await run();
      } catch (error) {
        if (error instanceof ConfirmationRefusedError) throw new ApiError(error.status, error.code, error.shortMessage);
        throw error;
      }
    });

  const routes: AnyRoute[] = [
    defineRoute({
      method: "post",
      path: "/v1/payments/:id/receipt",
      summary: "print a payment's receipt (58 mm thermal roll or A6, SVG) in the farmer's language, with a new receipt code and its QR code that open the farmer's own page",
      auth: "member",
      params: z.object({ id: paymentId }),
      body: z.strictObject({
        layout: z.enum(RECEIPT_LAYOUTS).default("thermal-58mm"),
        format: z.enum(["svg", "json"]).default("svg").describe("svg: the receipt itself; json: {code, url, expiresAt, svg}"),
      }),
      responses: { 201: { description: "image/svg+xml (or JSON): the receipt, with its code" }, 404: { description: "no payment of yours" } },
      handler: ({ params, body, memberId }, _req, res) =>
        paymentAnswer(async () => {
          const payment = await readPayment(db, records, params.id, memberId!);
          const { rows } = await db.query<{ language: FarmerLanguage }>("select language from farmers where id = $1", [payment.farmerId]);
          const { code, expiresAt } = await issueReceiptCode(db, { paymentId: payment.id, farmerId: payment.farmerId, memberId: memberId! });
          // The code travels in the fragment: a browser never sends it, so no log or referrer holds it.
          const url = `${publicBase().replace(/\/+$/, "")}/me#${code}`;
          const svg = receiptSvg({ payment, language: rows[0]!.language, url, code }, body.layout);
          privateHeaders(res);
          if (body.format === "json") return { status: 201, body: { code: formatReceiptCode(code), url, expiresAt: expiresAt.toISOString(), layout: body.layout, svg } };
          res.status(201).set({ "content-type": "image/svg+xml; charset=utf-8", "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'" }).end(svg);
        }),
    }),

    defineRoute({
      method: "post",
      path: "/v1/payments/:id/confirmations",
      summary: "record a farmer's confirmation or dispute taken without a smartphone: agent-code (a field agent entered the farmer's receipt code) or paper (a signed receipt, private evidence); a weaker kind, never counted as a passkey confirmation",
      auth: "member",
      params: z.object({ id: paymentId }),
      body: z.strictObject({
        kind: z.enum(["agent-code", "paper"]),
        verdict,
        receiptCode: z.string().max(30).optional().describe("agent-code: the code the farmer read from the receipt"),
        evidenceCid: z.string().min(10).max(120).optional().describe("paper: the signed receipt, uploaded with POST /v1/private-evidence"),
        recordedBy: z.string().trim().min(1).max(120).describe("the field agent"),
        reason: z.string().trim().max(500).optional().describe("a dispute's reason, sealed"),
      }),
      responses: { 201: { description: "the confirmation" }, 404: { description: "no payment of yours" }, 422: { description: "wrong_receipt_code, unknown_evidence" } },
      handler: ({ params, body, memberId }) =>
        farmerAnswer(async () => ({
          status: 201,
          body: confirmationJson(await recordFallbackConfirmation(db, records, { memberId: memberId!, paymentId: params.id, ...body })),
        })),
    }),

    defineRoute({
      method: "get",
      path: "/v1/payments/:id/confirmations",
      summary: "a payment's confirmations and disputes with their proofs (a passkey's statement, authenticator data, client data, signature and public key), each re-verified",
      auth: "member",
      params: z.object({ id: paymentId }),
      responses: { 200: { description: "{paymentDigest, origin, confirmations}" }, 404: { description: "no payment of yours" } },
      handler: ({ params, memberId }, _req, res) =>
        farmerAnswer(async () => {
          const payment = await readPayment(db, records, params.id, memberId!);
          const digest = await digestOfPayment(db, payment);
          const origin = rp().origin;
          const confirmations = [];
          for (const c of await listConfirmations(db, records, payment.id)) {
            const check = c.proof ? await checkConfirmationProof(c.proof, { origin, expectedDigest: digest }) : null;
            confirmations.push({ ...confirmationJson(c), signatureValid: check ? check.ok : null });
          }
          privateHeaders(res);
          return { status: 200, body: { paymentId: payment.id, paymentDigest: digest, origin, confirmations } };
        }),
    }),

    defineRoute({
      method: "post",
      path: "/me/session",
      summary: "the farmer's phone: open the farmer's own page with the code printed on a receipt (sets an HttpOnly session cookie for 30 minutes); wrong codes are rate-limited per address",
      auth: "public",
      body: z.strictObject({ code: z.string().min(1).max(40) }),
      responses: { 204: { description: "session opened (Set-Cookie)" }, 401: { description: "wrong_code" }, 429: { description: "too many attempts" } },
      handler: async ({ body }, req, res) => {
        // Only wrong codes count: an address that ran out of attempts waits, whatever it sends.
        const address = req.ip ?? "unknown";
        const waitMs = (blockedUntil.get(address) ?? 0) - Date.now();
        if (waitMs > 0) throw tooManyRequests(Math.ceil(waitMs / 1000));
        const opened = await openReceiptCode(db, body.code);
        privateHeaders(res);
        if (!opened) {
          const verdict = codeLimiter.take(address);
          if (!verdict.allowed) {
            if (blockedUntil.size > 10_000) for (const [key, until] of blockedUntil) if (until < Date.now()) blockedUntil.delete(key);
            blockedUntil.set(address, Date.now() + verdict.retryAfterSeconds * 1000);
            throw tooManyRequests(verdict.retryAfterSeconds);
          }
          throw new ApiError(401, "wrong_code", "this code opens no page: check the code on your receipt");
        }
        blockedUntil.delete(address);
        await openSession(req, res, opened.farmerId, "receipt-code");
        return { status: 204, body: null };
      },
    }),

    defineRoute({
      method: "post",
      path: "/me/login/options",
      summary: "the farmer's phone: a one-use challenge to sign in with a passkey made on it before (no receipt code needed)",
      auth: "public",
      responses: { 200: { description: "PublicKeyCredentialRequestOptionsJSON" } },
      handler: async (_input, _req, res) => {
        privateHeaders(res);
        return { status: 200, body: await loginOptions(db, rp()) };
      },
    }),

    defineRoute({
      method: "post",
      path: "/me/login",
      summary: "the farmer's phone: sign in with the passkey's assertion over a sign-in challenge (sets the session cookie)",
      auth: "public",
      body: z.strictObject({ response: credentialResponse }),
      responses: { 204: { description: "session opened (Set-Cookie)" }, 403: { description: "unknown_credential" }, 409: { description: "replayed, challenge_expired" }, 422: { description: "bad_signature, unknown_challenge" } },
      handler: async ({ body }, req, res) =>
        farmerAnswer(async () => {
          const farmerId = await verifyLogin(db, body.response as never, rp());
          privateHeaders(res);
          await openSession(req, res, farmerId, "passkey");
          return { status: 204, body: null };
        }),
    }),

    defineRoute({
      method: "get",
      path: "/me/data",
      summary: "the farmer's own page as JSON (the session's farmer only): deliveries, payments, premium owed and paid, consents, confirmations",
      auth: "public",
      responses: { 200: { description: "the page's data" }, 401: { description: "no_session" } },
      handler: async (_input, req, res) => {
        const farmerId = await sessionFarmer(req);
        privateHeaders(res);
        return { status: 200, body: await farmerPageData(db, records, farmerId) };
      },
    }),

    defineRoute({
      method: "post",
      path: "/me/passkeys/options",
      summary: "the farmer's phone: options to create a passkey (WebAuthn registration, user verification required)",
      auth: "public",
      responses: { 200: { description: "PublicKeyCredentialCreationOptionsJSON" }, 401: { description: "no_session" } },
      handler: async (_input, req, res) => {
        const farmerId = await sessionFarmer(req);
        privateHeaders(res);
        return { status: 200, body: await registrationOptions(db, farmerId, rp()) };
      },
    }),

    defineRoute({
      method: "post",
      path: "/me/passkeys",
      summary: "the farmer's phone: keep the passkey just created (its attestation verified against a challenge of this session's farmer)",
      auth: "public",
      body: z.strictObject({ response: credentialResponse }),
      responses: { 201: { description: "{credentialId}" }, 401: { description: "no_session" }, 409: { description: "replayed, challenge_expired, passkey_known" }, 422: { description: "bad_registration, unknown_challenge" } },
      handler: async ({ body }, req, res) =>
        farmerAnswer(async () => {
          const farmerId = await sessionFarmer(req);
          privateHeaders(res);
          return { status: 201, body: await registerPasskey(db, farmerId, body.response as never, rp()) };
        }),
    }),

    defineRoute({
      method: "post",
      path: "/me/payments/:id/challenge",
      summary: "the farmer's phone: a one-use challenge (5 minutes) that binds the payment's digest and the verdict, for the passkey to sign",
      auth: "public",
      params: z.object({ id: paymentId }),
      body: z.strictObject({ verdict }),
      responses: { 200: { description: "PublicKeyCredentialRequestOptionsJSON and the statement signed" }, 404: { description: "not_your_payment" }, 409: { description: "no_passkey" } },
      handler: async ({ params, body }, req, res) =>
        farmerAnswer(async () => {
          const farmerId = await sessionFarmer(req);
          privateHeaders(res);
          return { status: 200, body: await confirmationOptions(db, records, { farmerId, paymentId: params.id, verdict: body.verdict, rp: rp() }) };
        }),
    }),

    defineRoute({
      method: "post",
      path: "/me/payments/:id/confirmation",
      summary: "the farmer's phone: confirm or dispute a payment with the passkey's assertion over its challenge; forged, replayed or another farmer's answers are refused and nothing is written",
      auth: "public",
      params: z.object({ id: paymentId }),
      body: z.strictObject({ response: credentialResponse, reason: z.string().trim().max(500).optional() }),
      responses: {
        201: { description: "the confirmation with its proof" },
        401: { description: "no_session" },
        403: { description: "other_farmer, unknown_credential" },
        404: { description: "not_your_payment" },
        409: { description: "replayed, challenge_expired, wrong_payment" },
        422: { description: "bad_signature, unknown_challenge" },
      },
      handler: async ({ params, body }, req, res) =>
        farmerAnswer(async () => {
          const farmerId = await sessionFarmer(req);
          privateHeaders(res);
          const confirmation = await recordPasskeyConfirmation(db, records, { farmerId, paymentId: params.id, response: body.response as never, reason: body.reason, rp: rp() });
          return { status: 201, body: confirmationJson(confirmation) };
        }),
    }),
  ];

  // The page and its scripts: HTML and JavaScript, outside the OpenAPI document.
  const router = express.Router();
  // The package's browser bundle, served from here: no CDN (its exports map does not list it).
  let webauthnBundle: Buffer | null = null;
  router.get("/me/webauthn.js", (_req, res) => {
    webauthnBundle ??= fs.readFileSync(path.join(path.dirname(require.resolve("@simplewebauthn/browser")), "..", "dist", "bundle", "index.umd.min.js"));
    res.status(200).set({ "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=86400", "x-content-type-options": "nosniff" }).end(webauthnBundle);
  });
  router.get("/me/app.js", (_req, res) => {
    res.status(200).set({ "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache", "x-content-type-options": "nosniff" }).end(FARMER_PAGE_SCRIPT);
  });
  router.get("/me", (req, res, next) => {
    const send = (html: string) => {
      privateHeaders(res);
      res.status(200).set({ "content-type": "text/html; charset=utf-8", "content-security-policy": PAGE_CSP }).end(html);
    };
    sessionFarmer(req).then(
      async (farmerId) => send(farmerPageHtml(await farmerPageData(db, records, farmerId))),
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 401) {
          const lang = pickLocale(req.query.lang, req.get("accept-language"));
          return send(codeEntryHtml(isLocale(lang) ? lang : "en"));
        }
        next(error);
      },
    );
  });
  return { routes, router };
}
