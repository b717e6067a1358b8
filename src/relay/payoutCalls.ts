import { encodeBytes32String } from "ethers";
import { z } from "zod";
import { payoutRegistryInterface } from "../chain/contracts";
import { addressSchema, bytes32Schema, lotIdSchema, uintString } from "./lotCalls";

/**
 * The payout registry's write calls (commit a premium on a lot, publish a payout run's root, publish
 * the root of a batch of farmers' confirmations of a run): their
 * request schemas and calldata, as lotCalls.ts does for lots. A member makes them with its
 * custodial key through the relay.
 */
const UINT32_MAX = 2n ** 32n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const UINT256_MAX = 2n ** 256n - 1n;

const account = addressSchema.optional().describe("custodial account of the member that acts; default its first");
export const currencyCodeSchema = z.string().regex(/^[A-Z]{3}$/, "currency: an ISO 4217 code, three capitals (IDR, THB, VND, USD)");
export const premiumSchemeSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, "scheme: 1-31 lower-case letters, digits or hyphens, e.g. fairtrade, eudr, living-income")
  .describe("the premium scheme's name, e.g. fairtrade, eudr, living-income, brand");

export const payoutCallSchemas = {
  "payouts.commitPremium": z
    .object({
      account,
      lotId: lotIdSchema,
      scheme: premiumSchemeSchema,
      currency: currencyCodeSchema,
      ratePerKg: uintString(UINT64_MAX, "ratePerKg (minor units per kg)").refine((value) => value !== "0", "ratePerKg: more than 0"),
    })
    .strict(),
  "payouts.publishRun": z
    .object({
      account,
      root: bytes32Schema.describe("the run's StandardMerkleTree root"),
      count: uintString(UINT32_MAX, "count").refine((value) => value !== "0", "count: more than 0"),
      totals: z.array(z.object({ currency: currencyCodeSchema, total: uintString(UINT256_MAX, "total") }).strict()).min(1).max(8),
    })
    .strict(),
  "payouts.publishConfirmations": z
    .object({
      account,
      runRoot: bytes32Schema.describe("the payout run's root (published on chain by your cooperative)"),
      batchRoot: bytes32Schema.describe("the StandardMerkleTree root of the batch's confirmation records"),
      count: uintString(UINT32_MAX, "count").refine((value) => value !== "0", "count: more than 0"),
    })
    .strict(),
} as const;

export type PayoutCallKind = keyof typeof payoutCallSchemas;
export type PayoutCallPayload<K extends PayoutCallKind = PayoutCallKind> = z.output<(typeof payoutCallSchemas)[K]>;

export function isPayoutCallKind(kind: string): kind is PayoutCallKind {
  return Object.prototype.hasOwnProperty.call(payoutCallSchemas, kind);
}

const bytes3 = (code: string) => `0x${Buffer.from(code, "ascii").toString("hex")}`;

/** The payout registry calldata of a request (its payload as the schema outputs it). */
export function encodePayoutCall(kind: PayoutCallKind, payload: unknown): string {
  switch (kind) {
    case "payouts.commitPremium": {
      const p = payload as PayoutCallPayload<"payouts.commitPremium">;
      return payoutRegistryInterface.encodeFunctionData("commitPremium", [p.lotId, encodeBytes32String(p.scheme), bytes3(p.currency), p.ratePerKg]);
    }
    case "payouts.publishRun": {
      const p = payload as PayoutCallPayload<"payouts.publishRun">;
      return payoutRegistryInterface.encodeFunctionData("publishPayoutRun", [p.root, p.count, p.totals.map((t) => bytes3(t.currency)), p.totals.map((t) => t.total)]);
    }
    case "payouts.publishConfirmations": {
      const p = payload as PayoutCallPayload<"payouts.publishConfirmations">;
      return payoutRegistryInterface.encodeFunctionData("publishConfirmationRoot", [p.runRoot, p.batchRoot, p.count]);
    }
  }
}
