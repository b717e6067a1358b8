import type { Request, Response } from "express";
import type { JsonRpcProvider } from "ethers";
import { z } from "zod";
import { lotRegistryInterface } from "../chain/contracts";
import type { RecordSealer } from "../chain/keystore";
import type { Database } from "../db";
import { openField, sealField } from "../farmers/fieldCipher";
import { requireOwner } from "../farmers/farmerStore";
import { getPayoutRuns } from "../indexer/queries";
import { actsAs, type MemberStandingReader } from "../membership";
import {
  CURRENCY_EXPONENTS,
  EXAMPLE_BENCHMARKS,
  PaymentInRunError,
  PaymentInputError,
  PaymentNotFoundError,
  createPayment,
  exportPayoutRun,
  listPayments,
  listPayoutRunRecords,
  livingIncomeCsv,
  livingIncomeHtml,
  livingIncomeReport,
  benchmarkSchema,
  otherIncomeSchema,
  paymentCreateSchema,
  payoutRunCreateSchema,
  preparePayoutRun,
  readPayment,
  type CurrencyCode,
  type Household,
  type LivingIncomeBenchmark,
  type Payment,
} from "../payments";
import { ConfirmationBatchConflictError, exportConfirmations, listConfirmationBatches, prepareConfirmationBatch } from "../payments/confirmationBatches";
import type { ExchangeRates } from "../payments/exchangeRates";
import { payoutCallSchemas } from "../relay/payoutCalls";
import { bearerToken, tokenIdFor } from "./apiTokens";
import { farmerAnswer } from "./farmerRoutes";
import { ApiError, conflict, forbidden, notFound } from "./problem";
import { accepted, createCustodialIntake, idempotencyKeyOf, type RelayRoutesParameters } from "./relayRoutes";
import { defineRoute, type AnyRoute } from "./routes";

export type PaymentRoutesParameters = Pick<RelayRoutesParameters, "writer" | "keystore" | "maxAttempts" | "crash" | "provider" | "registry"> & {
  db: Database;
  records: RecordSealer;
  standing: MemberStandingReader;
  /** The gateway's public base URL: the farmer's page origin, which the passkeys signed for. */
  publicBase: () => string;
  /** Exchange rates to one display currency: the report shows its totals also converted. */
  exchangeRates?: ExchangeRates | null;
};

const paymentId = z.string().regex(/^pm_[0-9a-z]{16,40}$/, "a payment id: pm_ and 16 to 40 lower-case letters or digits");
const root = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a payout run's root: 0x and 64 hex digits").transform((value) => value.toLowerCase());

const text = (amount: bigint) => amount.toString();

/** A payment as its cooperative reads it (amounts in minor units, as decimal strings). */
export function paymentJson(payment: Payment) {
  const d = payment.details;
  return {
    id: payment.id,
    farmerId: payment.farmerId,
    deliveryLotIds: payment.deliveryLotIds.map(String),
    currency: payment.currency,
    minorUnits: CURRENCY_EXPONENTS[payment.currency],
    grossGrams: text(d.grossGrams),
    quality: d.quality,
    payableGrams: text(d.payableGrams),
    price: { perKg: text(d.price.perKg), basis: d.price.basis },
    base: text(d.base),
    deductions: d.deductions.map((x) => ({ reason: x.reason, amount: text(x.amount) })),
    premiums: d.premiums.map((x) => ({ component: x.component, amount: text(x.amount), ...(x.scheme ? { scheme: x.scheme } : {}) })),
    deductionTotal: text(d.deductionTotal),
    premiumTotal: text(d.premiumTotal),
    net: text(d.net),
    method: d.method,
    evidenceCid: d.evidenceCid,
    paidAt: payment.paidAt.toISOString(),
    payoutRoot: payment.payoutRoot,
    createdAt: payment.createdAt.toISOString(),
  };
}

/**
 * Payments to farmers, payout runs, premium commitments and the living-income report over HTTP.
 * Payments and runs are the registering cooperative's alone (anyone else is told they do not
 * exist); a premium commitment is a buyer's relayed call, checked against custody first so a lot
 * the buyer does not hold writes nothing.
 */
export function createPaymentRoutes(parameters: PaymentRoutesParameters): AnyRoute[] {
  const { db, records, standing, provider, registry, publicBase } = parameters;
  const { accept } = createCustodialIntake(parameters);
  const presentedTokenId = (req: Request) => tokenIdFor(db, bearerToken(req.get("authorization")) ?? "");
  const requireCooperative = async (memberId: bigint, what: string) => {
    if (!actsAs(await standing(memberId), "cooperative")) throw forbidden(`member ${memberId} is not an active cooperative: only cooperatives ${what}`);
  };

  /** The member that holds `lotId` now (0 if nobody: unknown lot), from the chain. */
  const custodianMember = async (lotId: string): Promise<{ member: bigint; active: boolean }> => {
    let answer: string;
    try {
      answer = await provider.call({ to: registry, data: lotRegistryInterface.encodeFunctionData("getLot", [lotId]) });
    } catch {
      return { member: 0n, active: false };
    }
    const [lot] = lotRegistryInterface.decodeFunctionResult("getLot", answer) as unknown as [{ custodian: string; status: bigint }];
    const who = await provider.call({ to: registry, data: lotRegistryInterface.encodeFunctionData("accountOf", [lot.custodian]) });
    const [member] = lotRegistryInterface.decodeFunctionResult("accountOf", who) as unknown as [bigint];
    return { member, active: Number(lot.status) === 1 };
  };

  return [
    defineRoute({
      method: "post",
      path: "/v1/payments",
      summary: "record a payment to a farmer of your cooperative for deliveries you minted (sealed at rest); the farmer's payments consent must hold",
      auth: "member",
      body: paymentCreateSchema,
      responses: {
        201: { description: "the payment, with base, deductions, premiums and net computed" },
        404: { description: "no farmer of yours" },
        422: { description: "no_payments_consent, not_your_delivery, unknown_evidence, negative_amount" },
      },
      handler: ({ body, memberId }, req) =>
        paymentAnswer(async () => {
          await requireCooperative(memberId!, "record payments");
          const payment = await createPayment(db, records, { memberId: memberId!, payment: body, recordedByToken: await presentedTokenId(req) });
          return { status: 201, body: paymentJson(payment), headers: { location: `/v1/payments/${payment.id}` } };
        }),
    }),

    defineRoute({
      method: "get",
      path: "/v1/payments",
      summary: "your cooperative's payments, by time paid (optionally of one farmer, or of one year)",
      auth: "member",
      query: z.strictObject({
        farmerId: z.string().regex(/^f_[0-9a-z]{16,40}$/).optional(),
        year: z.coerce.number().int().min(2000).max(2100).optional(),
        limit: z.coerce.number().int().min(1).max(5_000).default(500),
      }),
      responses: { 200: { description: "{payments}" } },
      handler: ({ query, memberId }, _req, res) =>
        paymentAnswer(async () => {
          const range = query.year === undefined ? {} : { from: new Date(Date.UTC(query.year, 0, 1)), to: new Date(Date.UTC(query.year + 1, 0, 1)) };
          const payments = await listPayments(db, records, { memberId: memberId!, farmerId: query.farmerId, limit: query.limit, ...range });
          res.setHeader("cache-control", "private, no-store");
          return { status: 200, body: { payments: payments.map(paymentJson) } };
        }),
    }),

    defineRoute({
      method: "get",
      path: "/v1/payments/:id",
      summary: "one payment of your cooperative",
      auth: "member",
      params: z.object({ id: paymentId }),
      responses: { 200: { description: "the payment" }, 404: { description: "no payment of yours" } },
      handler: ({ params, memberId }) => paymentAnswer(async () => ({ status: 200, body: paymentJson(await readPayment(db, records, params.id, memberId!)) })),
    }),

    defineRoute({
      method: "post",
      path: "/v1/payout-runs",
      summary: "publish a payout run: its payments become Merkle leaves (pseudonym, delivery lots, amounts, salt) and the root, count and totals go on chain through the relay",
      auth: "member",
      body: payoutRunCreateSchema,
      responses: {
        ...accepted,
        404: { description: "a payment that is not yours" },
        409: { description: "a payment already in a run" },
        422: { description: "no_payments_consent: a farmer withdrew the consent" },
      },
      handler: async ({ body, memberId }, req, res) =>
        paymentAnswer(async () => {
          await requireCooperative(memberId!, "publish payout runs");
          const idempotencyKey = idempotencyKeyOf(req);
          req.headers["idempotency-key"] = idempotencyKey;
          const run = await preparePayoutRun(db, records, { memberId: memberId!, paymentIds: body.paymentIds, idempotencyKey });
          const payload = payoutCallSchemas["payouts.publishRun"].parse({ ...(body.account ? { account: body.account } : {}), root: run.root, count: run.count, totals: run.totals });
          const answer = await accept("payouts.publishRun", memberId!, payload, req, res);
          return { ...answer, body: { ...answer.body, payoutRun: { root: run.root, count: run.count, totals: run.totals } } };
        }),
    }),

    defineRoute({
      method: "get",
      path: "/v1/payout-runs",
      summary: "your cooperative's payout runs, each with whether its root is on chain (indexed)",
      auth: "member",
      responses: { 200: { description: "{payoutRuns}" } },
      handler: async ({ memberId }) => {
        const runs = await listPayoutRunRecords(db, memberId!);
        const onChain = new Map((await getPayoutRuns(db, { roots: runs.map((r) => r.root) })).map((r) => [r.root, r]));
        return { status: 200, body: { payoutRuns: runs.map((r) => ({ ...r, published: onChain.has(r.root), txHash: onChain.get(r.root)?.txHash ?? null })) } };
      },
    }),

    defineRoute({
      method: "get",
      path: "/v1/payout-runs/:root/export",
      summary: "a run's leaves with their Merkle proofs, for an auditor: `firstmile verify <page> --payouts <file>` checks them against the root on chain",
      auth: "member",
      params: z.object({ root }),
      responses: { 200: { description: "firstmile.payout-run.v1" }, 404: { description: "no run of yours" } },
      handler: ({ params, memberId }, _req, res) =>
        paymentAnswer(async () => {
          res.setHeader("cache-control", "private, no-store");
          return { status: 200, body: await exportPayoutRun(db, records, params.root, memberId!) };
        }),
    }),

    defineRoute({
      method: "post",
      path: "/v1/payout-runs/:root/confirmation-batches",
      summary:
        "publish the farmers' confirmations of a run's payments not yet in a batch: each becomes a record (payment leaf hash, verdict, kind, hash of the signed statement), and the records' Merkle root goes on chain beside the run's root through the relay; the public passkey share counts a confirmation once its batch root is indexed",
      auth: "member",
      params: z.object({ root }),
      body: z.strictObject({ account: payoutCallSchemas["payouts.publishConfirmations"].shape.account }),
      responses: {
        ...accepted,
        403: { description: "not an active cooperative" },
        404: { description: "no run of yours" },
        409: { description: "run_not_on_chain, nothing_to_publish (every confirmation is in a batch), batch_published" },
      },
      handler: async ({ params, body, memberId }, req, res) =>
        paymentAnswer(async () => {
          await requireCooperative(memberId!, "publish farmers' confirmations");
          const idempotencyKey = idempotencyKeyOf(req);
          req.headers["idempotency-key"] = idempotencyKey;
          const batch = await prepareConfirmationBatch(db, records, { memberId: memberId!, runRoot: params.root, idempotencyKey });
          const payload = payoutCallSchemas["payouts.publishConfirmations"].parse({
            ...(body.account ? { account: body.account } : {}),
            runRoot: batch.runRoot,
            batchRoot: batch.batchRoot,
            count: batch.count,
          });
          const answer = await accept("payouts.publishConfirmations", memberId!, payload, req, res);
          return { ...answer, body: { ...answer.body, confirmationBatch: { batchRoot: batch.batchRoot, runRoot: batch.runRoot, count: batch.count } } };
        }),
    }),

    defineRoute({
      method: "get",
      path: "/v1/payout-runs/:root/confirmation-batches",
      summary: "a run's confirmation batches, oldest first, each with its root, count and whether the root is on chain (indexed)",
      auth: "member",
      params: z.object({ root }),
      responses: { 200: { description: "{confirmationBatches}" }, 404: { description: "no run of yours" } },
      handler: ({ params, memberId }) => paymentAnswer(async () => ({ status: 200, body: { confirmationBatches: await listConfirmationBatches(db, params.root, memberId!) } })),
    }),

    defineRoute({
      method: "get",
      path: "/v1/payout-runs/:root/confirmations/export",
      summary:
        "a run's confirmation batches for an auditor (a batch not yet on chain fails the check): each record with its proof under its batch root, the payment's leaf and proof under the run's root, and a passkey's statement, keys and signature: `firstmile verify <page> --confirmations <file>` checks them",
      auth: "member",
      params: z.object({ root }),
      responses: { 200: { description: "firstmile.confirmations.v1" }, 404: { description: "no run of yours" } },
      handler: ({ params, memberId }, _req, res) =>
        paymentAnswer(async () => {
          res.setHeader("cache-control", "private, no-store");
          return { status: 200, body: await exportConfirmations(db, records, params.root, memberId!, new URL(publicBase()).origin) };
        }),
    }),

    defineRoute({
      method: "post",
      path: "/v1/premium-commitments",
      summary: "commit a premium per kg (scheme, rate in minor units, currency) on a lot your member holds; it flows down the lot's ancestry to the origin deliveries",
      auth: "member",
      body: payoutCallSchemas["payouts.commitPremium"],
      responses: { ...accepted, 403: { description: "not a processor or brand" }, 409: { description: "not_custodian: your member does not hold the lot (or it is in transit or consumed)" } },
      handler: async ({ body, memberId }, req, res) => {
        const member = await standing(memberId!);
        if (!actsAs(member, "processor") && !actsAs(member, "brand")) throw forbidden(`member ${memberId} is not an active processor or brand: buyers commit premiums`);
        const custody = await custodianMember(body.lotId);
        if (custody.member !== memberId || !custody.active) {
          throw new ApiError(409, "not_custodian", `lot ${body.lotId} is not held by your member${custody.member === 0n ? " (no such lot)" : ""}: commit a premium on a lot you hold`, { lotId: body.lotId });
        }
        if (CURRENCY_EXPONENTS[body.currency as CurrencyCode] === undefined) throw new ApiError(422, "unknown_currency", `currency ${body.currency}: one of ${Object.keys(CURRENCY_EXPONENTS).join(", ")}`);
        return accept("payouts.commitPremium", memberId!, body, req, res);
      },
    }),

    defineRoute({
      method: "put",
      path: "/v1/farmers/:id/other-income",
      summary: "record the other income a farmer's household declared for a year (sealed; used only in the living-income report's aggregates)",
      auth: "member",
      params: z.object({ id: z.string().regex(/^f_[0-9a-z]{16,40}$/) }),
      body: otherIncomeSchema,
      responses: { 204: { description: "recorded" }, 404: { description: "no farmer of yours" }, 422: { description: "wrong minor units" } },
      handler: ({ params, body, memberId }) =>
        paymentAnswer(async () => {
          if (body.minorUnits !== CURRENCY_EXPONENTS[body.currency]) {
            throw new PaymentInputError("wrong_minor_units", `${body.currency} has ${CURRENCY_EXPONENTS[body.currency]} minor-unit digits (ISO 4217), not ${body.minorUnits}`);
          }
          await farmerAnswer(() => requireOwner(db, params.id, memberId!));
          await db.query(
            `insert into farmer_other_income (farmer_id, year, currency, amount_enc) values ($1, $2, $3, $4)
             on conflict (farmer_id, year, currency) do update set amount_enc = excluded.amount_enc, updated_at = now()`,
            [params.id, body.year, body.currency, sealField(records, params.id, `other-income:${body.year}:${body.currency}`, body.amount.toString())],
          );
          return { status: 204, body: null };
        }),
    }),

    defineRoute({
      method: "put",
      path: "/v1/living-income/benchmarks",
      summary: "record a living-income benchmark for a region and household size, with its source and year (replaces the shipped example figures for that region)",
      auth: "member",
      body: benchmarkSchema,
      responses: { 204: { description: "recorded" }, 403: { description: "not an active cooperative" }, 422: { description: "wrong minor units" } },
      handler: ({ body, memberId }) =>
        paymentAnswer(async () => {
          await requireCooperative(memberId!, "keep living-income benchmarks");
          if (body.minorUnits !== CURRENCY_EXPONENTS[body.currency]) {
            throw new PaymentInputError("wrong_minor_units", `${body.currency} has ${CURRENCY_EXPONENTS[body.currency]} minor-unit digits (ISO 4217), not ${body.minorUnits}`);
          }
          await db.query(
            `insert into living_income_benchmarks (member_id, region, household_size, currency, annual_minor, source, year) values ($1, $2, $3, $4, $5, $6, $7)
             on conflict (member_id, region, household_size) do update set currency = excluded.currency, annual_minor = excluded.annual_minor, source = excluded.source, year = excluded.year`,
            [memberId!.toString(), body.region, body.householdSize, body.currency, body.annual.toString(), body.source, body.year],
          );
          return { status: 204, body: null };
        }),
    }),

    defineRoute({
      method: "get",
      path: "/v1/reports/living-income",
      summary: "the living-income gap of your farmer households for a year (HTML with charts, or CSV): aggregates over at least 5 households only, split by gender of the household head",
      auth: "member",
      query: z.strictObject({
        year: z.coerce.number().int().min(2000).max(2100),
        region: z.string().min(1).max(80).default("sulawesi-tengah"),
        format: z.enum(["html", "csv", "json"]).default("html"),
      }),
      responses: { 200: { description: "text/html, text/csv or JSON" }, 404: { description: "no benchmark for the region" } },
      handler: async ({ query, memberId }, _req: Request, res: Response) => {
        const benchmarks = await benchmarksOf(db, memberId!, query.region);
        if (benchmarks.length === 0) throw notFound(`no living-income benchmark for region ${query.region}`);
        const households = await householdsOf(db, records, memberId!, query.year, benchmarks[0]!.currency);
        const report = livingIncomeReport(query.year, query.region, benchmarks, households, parameters.exchangeRates ?? null);
        res.setHeader("cache-control", "private, no-store");
        if (query.format === "json") {
          return { status: 200, body: JSON.parse(JSON.stringify(report, (_k, v) => (typeof v === "bigint" ? v.toString() : v))) };
        }
        const [type, content] = query.format === "csv" ? ["text/csv; charset=utf-8", livingIncomeCsv(report)] : ["text/html; charset=utf-8", livingIncomeHtml(report)];
        res.status(200).set({ "content-type": type, "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'" }).end(content);
      },
    }),
  ];
}

/** The cooperative's own benchmarks for the region, else the shipped examples (marked). */
async function benchmarksOf(db: Database, memberId: bigint, region: string): Promise<LivingIncomeBenchmark[]> {
  const { rows } = await db.query<{ household_size: number; currency: CurrencyCode; annual_minor: string; source: string; year: number }>(
    "select household_size, currency, annual_minor::text, source, year from living_income_benchmarks where member_id = $1 and region = $2 order by household_size",
    [memberId.toString(), region],
  );
  if (rows.length > 0) return rows.map((r) => ({ region, householdSize: Number(r.household_size), currency: r.currency, annual: BigInt(r.annual_minor), source: r.source, year: Number(r.year), example: false }));
  return EXAMPLE_BENCHMARKS.filter((b) => b.region === region);
}

/** Every active farmer of the cooperative whose payments consent holds, with the year's income. */
async function householdsOf(db: Database, records: RecordSealer, memberId: bigint, year: number, currency: CurrencyCode): Promise<Household[]> {
  const { rows } = await db.query<{ id: string; pseudonym: string; household_size_enc: Buffer | null; female_headed_enc: Buffer | null; amount_enc: Buffer | null }>(
    `select f.id, f.pseudonym, f.household_size_enc, f.female_headed_enc, o.amount_enc from farmers f
       left join farmer_other_income o on o.farmer_id = f.id and o.year = $2 and o.currency = $3
      where f.member_id = $1 and f.archived_at is null
        and exists (select 1 from farmer_consents c where c.farmer_id = f.id and c.scope = 'payments'
                    and not exists (select 1 from farmer_consent_withdrawals w where w.consent_id = c.id))`,
    [memberId.toString(), year, currency],
  );
  const payments = await listPayments(db, records, { memberId, from: new Date(Date.UTC(year, 0, 1)), to: new Date(Date.UTC(year + 1, 0, 1)), limit: 1_000_000 });
  const paid = new Map<string, bigint>();
  for (const p of payments) if (p.currency === currency) paid.set(p.farmerId, (paid.get(p.farmerId) ?? 0n) + p.details.net);
  return rows.map((row) => ({
    pseudonym: row.pseudonym,
    householdSize: openField(records, row.id, "householdSize", row.household_size_enc) as number | null,
    femaleHeaded: openField(records, row.id, "femaleHeadedHousehold", row.female_headed_enc) as boolean | null,
    paid: paid.get(row.id) ?? 0n,
    declared: row.amount_enc ? BigInt(openField(records, row.id, `other-income:${year}:${currency}`, row.amount_enc) as string) : 0n,
  }));
}

/** Maps the payments module's errors (and the farmers') to the one error shape. */
export async function paymentAnswer<T>(run: () => Promise<T>): Promise<T> {
  return farmerAnswer(async () => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof PaymentNotFoundError) throw notFound(error.shortMessage);
      if (error instanceof ConfirmationBatchConflictError) throw new ApiError(409, error.code, error.shortMessage, error.problemDetails);
      if (error instanceof PaymentInRunError) throw conflict(error.shortMessage, error.problemDetails);
      if (error instanceof PaymentInputError) throw new ApiError(422, error.code, error.shortMessage, error.problemDetails);
      throw error;
    }
  });
}
