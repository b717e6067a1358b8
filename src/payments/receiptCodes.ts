import { createHash, randomInt } from "node:crypto";
import type { Queryable } from "../db";
import { CROCKFORD_ALPHABET } from "../farmers/farmerCode";

/**
 * The code printed on a payment receipt (as text and in its QR code): 12 random symbols of
 * Crockford's base32 alphabet, 60 bits, shown `XXXX-XXXX-XXXX`. It is drawn at random, so it says
 * nothing about the farmer; only its SHA-256 is stored, so the table opens no page. Lookups are
 * rate-limited per client address (see the farmer page routes): at 10 guesses a minute a guesser
 * needs about 10^11 years per expected hit among a million live codes.
 */
export const RECEIPT_CODE_SYMBOLS = 12;
/** A receipt opens the farmer's page for about a season and a year. */
export const RECEIPT_CODE_DAYS = 400;

const VALUES = new Map<string, string>([...CROCKFORD_ALPHABET].map((symbol) => [symbol, symbol]));
for (const [lookalike, symbol] of [["O", "0"], ["I", "1"], ["L", "1"]] as const) VALUES.set(lookalike, symbol);

export const hashCode = (code: string): string => createHash("sha256").update(`firstmile.receipt-code.v1:${code}`).digest("hex");

/** `XXXX-XXXX-XXXX`. */
export const formatReceiptCode = (code: string): string => code.match(/.{1,4}/g)!.join("-");

/** The code as typed (case, spaces and hyphens do not matter; O reads 0, I and L read 1), or null. */
export function normaliseReceiptCode(input: string): string | null {
  const symbols = input.toUpperCase().replace(/[\s-]/g, "");
  if (symbols.length !== RECEIPT_CODE_SYMBOLS) return null;
  let code = "";
  for (const symbol of symbols) {
    const value = VALUES.get(symbol);
    if (value === undefined) return null;
    code += value;
  }
  return code;
}

/** Issues a new code for a payment's receipt (each print its own code); answers it, normalised. */
export async function issueReceiptCode(db: Queryable, parameters: { paymentId: string; farmerId: string; memberId: bigint; now?: Date }): Promise<{ code: string; expiresAt: Date }> {
  let code = "";
  for (let i = 0; i < RECEIPT_CODE_SYMBOLS; i++) code += CROCKFORD_ALPHABET[randomInt(32)];
  const expiresAt = new Date((parameters.now ?? new Date()).getTime() + RECEIPT_CODE_DAYS * 86_400_000);
  await db.query("insert into receipt_codes (code_hash, farmer_id, payment_id, member_id, expires_at) values ($1, $2, $3, $4, $5)", [
    hashCode(code),
    parameters.farmerId,
    parameters.paymentId,
    parameters.memberId.toString(),
    expiresAt,
  ]);
  return { code, expiresAt };
}

/** The farmer (and payment) a live code opens, or null (unknown, mistyped or expired). */
export async function openReceiptCode(db: Queryable, input: string): Promise<{ farmerId: string; paymentId: string; memberId: bigint } | null> {
  const code = normaliseReceiptCode(input);
  if (code === null) return null;
  const { rows } = await db.query<{ farmer_id: string; payment_id: string; member_id: string }>(
    "select farmer_id, payment_id, member_id::text from receipt_codes where code_hash = $1 and expires_at > now()",
    [hashCode(code)],
  );
  return rows[0] ? { farmerId: rows[0].farmer_id, paymentId: rows[0].payment_id, memberId: BigInt(rows[0].member_id) } : null;
}
