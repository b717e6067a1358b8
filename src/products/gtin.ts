/**
 * GS1 Global Trade Item Numbers. Digital Link URIs carry a GTIN as 14 digits (`/01/{gtin}`);
 * GTIN-8, -12 and -13 are padded with leading zeros to 14. The last digit is a mod-10 check
 * digit: weights 3 and 1 alternating from the right, excluding the check digit itself.
 */
export function gtinCheckDigit(body: string): number {
  if (!/^\d+$/.test(body)) throw new TypeError("a GTIN has digits only");
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const digit = body.charCodeAt(body.length - 1 - i) - 48;
    sum += digit * (i % 2 === 0 ? 3 : 1);
  }
  return (10 - (sum % 10)) % 10;
}

export type GtinCheck = { ok: true; gtin14: string } | { ok: false; reason: string };

/** Checks length and check digit; answers the 14-digit form used in Digital Link paths. */
export function checkGtin(value: string): GtinCheck {
  if (!/^\d+$/.test(value)) return { ok: false, reason: "a GTIN has digits only" };
  if (![8, 12, 13, 14].includes(value.length)) return { ok: false, reason: `a GTIN has 8, 12, 13 or 14 digits, not ${value.length}` };
  const expected = gtinCheckDigit(value.slice(0, -1));
  const given = Number(value[value.length - 1]);
  if (expected !== given) return { ok: false, reason: `check digit ${given} is wrong: expected ${expected}` };
  return { ok: true, gtin14: value.padStart(14, "0") };
}

/** GS1 AI (10) batch/lot: up to 20 characters of the GS1 AI encodable set 82. */
export const BATCH_PATTERN = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$/;
