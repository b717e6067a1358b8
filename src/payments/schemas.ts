import { z } from "zod";
import { CURRENCY_CODES, CURRENCY_EXPONENTS, type CurrencyCode } from "./currency";

/**
 * What a payment record holds: one schema for the HTTP API and its OpenAPI document. Strict (an
 * unknown key is refused by name). Amounts are integers of the currency's minor unit, as JSON
 * numbers (safe integers) or decimal strings; a negative amount is refused (a deduction says what
 * was taken off).
 */
export const PRICE_BASES = ["wet", "dry", "drc"] as const;
export const PAYMENT_METHODS = ["cash", "bank-transfer", "e-wallet", "mobile-money"] as const;
export const PREMIUM_COMPONENTS = ["certification", "eudr", "living-income-differential", "other"] as const;
export type PriceBasis = (typeof PRICE_BASES)[number];
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export type PremiumComponent = (typeof PREMIUM_COMPONENTS)[number];

const MAX_MINOR = 10n ** 18n;
/** How far ahead of the gateway's clock a `paidAt` may be (a field tablet's clock runs fast). */
export const PAID_AT_CLOCK_SKEW_MS = 5 * 60_000;
export const minorAmount = (what: string) =>
  z
    .union([z.string().regex(/^-?\d{1,19}$/, `${what}: an integer of minor units`), z.number().int(`${what}: an integer of minor units, never a fraction`)])
    .transform((value, context) => {
      const amount = BigInt(value);
      if (amount < 0n) {
        context.addIssue({ code: "custom", message: `${what}: negative amounts are refused (record what was taken off as a deduction)` });
        return z.NEVER;
      }
      if (amount > MAX_MINOR) {
        context.addIssue({ code: "custom", message: `${what}: at most ${MAX_MINOR}` });
        return z.NEVER;
      }
      return amount;
    });

const bps = (what: string) => z.number().int().min(0, `${what}: 0-10000 basis points`).max(10_000, `${what}: 0-10000 basis points`);
const lotId = z.union([z.string().regex(/^[1-9]\d{0,18}$/, "a lot id"), z.number().int().positive()]).transform((value) => BigInt(value));

export const paymentCreateSchema = z
  .strictObject({
    farmerId: z.string().regex(/^f_[0-9a-z]{16,40}$/, "a farmer id: f_ and 16 to 40 lower-case letters or digits"),
    deliveryLotIds: z.array(lotId).min(1).max(100).describe("the delivery lots (minted by your cooperative) this payment pays for"),
    grossGrams: z.union([z.string().regex(/^\d{1,19}$/), z.number().int()]).transform((v) => BigInt(v)).refine((v) => v > 0n, "grossGrams: more than 0").describe("weighed, grams"),
    quality: z
      .strictObject({
        drcBps: bps("drcBps").optional().describe("rubber: dry rubber content, basis points (5500 = 55 %)"),
        moistureBps: bps("moistureBps").optional().describe("cocoa: moisture, basis points"),
        beanCount: z.number().int().min(1).max(1_000).optional().describe("cocoa: beans per 100 g"),
      })
      .default({}),
    price: z.strictObject({
      perKg: minorAmount("price.perKg").describe("minor units per kg of the basis"),
      basis: z.enum(PRICE_BASES).describe("wet: per kg weighed; dry: per kg dry (by DRC or moisture); drc: per kg of dry rubber (DRC)"),
    }),
    currency: z.enum(CURRENCY_CODES as [CurrencyCode, ...CurrencyCode[]]),
    minorUnits: z.number().int().min(0).max(4).describe("the currency's ISO 4217 exponent as you count it (IDR 2, THB 2, VND 0, USD 2): refused if it differs"),
    deductions: z.array(z.strictObject({ reason: z.string().trim().min(1).max(200), amount: minorAmount("deductions[].amount") })).max(20).default([]),
    premiums: z
      .array(z.strictObject({ component: z.enum(PREMIUM_COMPONENTS), amount: minorAmount("premiums[].amount"), scheme: z.string().trim().min(1).max(64).optional() }))
      .max(10)
      .default([]),
    paidAt: z.iso.datetime({ offset: true }).describe("when the farmer was paid (ISO 8601)"),
    method: z.enum(PAYMENT_METHODS),
    evidenceCid: z.string().min(10).max(120).optional().describe("the receipt photo, uploaded as private evidence of your cooperative"),
  })
  .superRefine((payment, context) => {
    const expected = CURRENCY_EXPONENTS[payment.currency];
    if (payment.minorUnits !== expected) {
      context.addIssue({ code: "custom", path: ["minorUnits"], message: `${payment.currency} has ${expected} minor-unit digits (ISO 4217), not ${payment.minorUnits}: amounts are integers of its minor unit` });
    }
    if (Date.parse(payment.paidAt) > Date.now() + PAID_AT_CLOCK_SKEW_MS) {
      context.addIssue({ code: "custom", path: ["paidAt"], message: `paidAt ${payment.paidAt} is in the future: record a payment once it is made` });
    }
    if (payment.price.basis === "drc" && payment.quality.drcBps === undefined) {
      context.addIssue({ code: "custom", path: ["quality", "drcBps"], message: "a price per kg of DRC needs the measured dry rubber content" });
    }
    if (payment.price.basis === "dry" && payment.quality.drcBps === undefined && payment.quality.moistureBps === undefined) {
      context.addIssue({ code: "custom", path: ["quality"], message: "a price per dry kg needs the DRC (rubber) or the moisture (cocoa)" });
    }
  });

export type PaymentCreate = z.output<typeof paymentCreateSchema>;

export const payoutRunCreateSchema = z.strictObject({
  // Building the tree is synchronous (about 2 ms a leaf on a busy core): a run stays under a few seconds.
  paymentIds: z.array(z.string().regex(/^pm_[0-9a-z]{16,40}$/, "a payment id")).min(1).max(2_000),
  account: z.string().optional().describe("custodial cooperative account that publishes; default your first"),
});

export const otherIncomeSchema = z.strictObject({
  year: z.number().int().min(2000).max(2100),
  currency: z.enum(CURRENCY_CODES as [CurrencyCode, ...CurrencyCode[]]),
  minorUnits: z.number().int().min(0).max(4),
  amount: minorAmount("amount").describe("other household income the farmer declared for the year (off-farm work, other crops), minor units"),
});

export const benchmarkSchema = z.strictObject({
  region: z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/, "region: lower-case letters, digits and hyphens, e.g. sulawesi-tengah"),
  householdSize: z.number().int().min(1).max(30),
  currency: z.enum(CURRENCY_CODES as [CurrencyCode, ...CurrencyCode[]]),
  minorUnits: z.number().int().min(0).max(4),
  annual: minorAmount("annual").refine((value) => value > 0n, "annual: more than 0").describe("the income a household of this size needs in a year, minor units"),
  source: z.string().trim().min(1).max(300).describe("where the figure comes from (study, publisher, year)"),
  year: z.number().int().min(2000).max(2100),
});
