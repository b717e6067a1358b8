import { concat, fromHex, toHex, utf8, word } from "./hex";
import { keccak } from "./signing";

/**
 * A delivery as the phone records it, what the farmer is paid for it (the gateway's own payment
 * rule, src/payments/paymentStore.ts, computed here in integers of the currency's minor unit),
 * and the registry's `mintBatch` calldata for a day's deliveries.
 */
export type PriceBasis = "wet" | "dry" | "drc";
export type Delivery = {
  id: string;
  farmerId: string;
  plotId: string;
  origin: string;
  form: number;
  grams: number;
  /** DRC (rubber) or moisture (cocoa), basis points; 0 = not measured. */
  qualityBps: number;
  perKgMinor: number;
  basis: PriceBasis;
  deductionMinor: number;
  premiumMinor: number;
  currency: string;
  minorUnits: number;
  recordedAt: string;
  /** keccak-256 of the receipt's text: the lot's metadata digest on chain. */
  metadata: string;
  shortCode: string;
  amountMinor: number;
  batchId: string | null;
};

/** What a delivery's payment record says (the gateway's payment record, src/field/signedRecords.ts): kept with the delivery until it is numbered and signed. */
export type PaymentBody = {
  deliveryMetadata: string[];
  payment: {
    farmerId: string;
    grossGrams: number;
    quality: { drcBps?: number; moistureBps?: number };
    price: { perKg: number; basis: PriceBasis };
    currency: string;
    minorUnits: number;
    deductions: Array<{ reason: string; amount: number }>;
    premiums: Array<{ component: string; amount: number }>;
    paidAt: string;
    method: "cash";
  };
};

export const ORIGIN_FORMS = [
  { id: 1, commodity: "cocoa", key: "cocoaWet" },
  { id: 2, commodity: "cocoa", key: "cocoaDry" },
  { id: 21, commodity: "rubber", key: "cupLump" },
  { id: 20, commodity: "rubber", key: "fieldLatex" },
  { id: 22, commodity: "rubber", key: "uss" },
] as const;

export function isRubber(form: number): boolean {
  return form >= 20;
}

export function payableGrams(grams: number, basis: PriceBasis, form: number, qualityBps: number): bigint {
  const gross = BigInt(grams);
  if (basis === "wet") return gross;
  if (isRubber(form)) return (gross * BigInt(qualityBps)) / 10_000n;
  return (gross * BigInt(10_000 - qualityBps)) / 10_000n;
}

/** What to pay, minor units: price × payable kg (rounded half up), less deductions, plus premium. */
export function amountToPay(d: Pick<Delivery, "grams" | "basis" | "form" | "qualityBps" | "perKgMinor" | "deductionMinor" | "premiumMinor">): number {
  const payable = payableGrams(d.grams, d.basis, d.form, d.qualityBps);
  const base = (BigInt(d.perKgMinor) * payable * 2n + 1000n) / 2000n;
  return Number(base - BigInt(d.deductionMinor) + BigInt(d.premiumMinor));
}

/** The receipt's digest and the short code read out to the farmer (8 symbols of it). */
export function receiptDigest(receiptText: string): { metadata: string; shortCode: string } {
  const digest = keccak(utf8(receiptText));
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  let code = "";
  for (let i = 0; i < 8; i++) code += alphabet[digest[i]! & 31];
  return { metadata: toHex(digest), shortCode: `${code.slice(0, 4)}-${code.slice(4)}` };
}

const MINT_BATCH = keccak(utf8("mintBatch((uint8,uint64,uint16,bytes32,bytes32)[])")).slice(0, 4);

/** `mintBatch(Delivery[])` calldata: a dynamic array of static 5-word tuples. */
export function mintBatchCalldata(deliveries: readonly Pick<Delivery, "form" | "grams" | "qualityBps" | "metadata" | "origin">[]): string {
  const rows = deliveries.map((d) => concat(word(d.form), word(d.grams), word(d.qualityBps), fromHex(d.metadata), fromHex(d.origin)));
  return toHex(concat(MINT_BATCH, word(32), word(deliveries.length), ...rows));
}

/** Gas a batch asks for: generous per lot, within one 30M-gas block. */
export function batchGas(count: number): number {
  return Math.min(30_000_000, 150_000 + 90_000 * count);
}

/** The commitment the gateway stores for a point plot: keccak-256 of its canonical JSON (src/origins/plotCommitment.ts). */
export function pointCommitment(farmerId: string, longitude: number, latitude: number, salt: string): string {
  const text = `{"farmerRef":${JSON.stringify(farmerId)},"geometry":{"coordinates":[${JSON.stringify(longitude)},${JSON.stringify(latitude)}],"type":"Point"},"salt":${JSON.stringify(salt.toLowerCase())}}`;
  return toHex(keccak(utf8(text)));
}
