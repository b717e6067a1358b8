/**
 * Declared non-traced ingredients of a transform (sugar, lecithin, carbon black): their names as the
 * chain keeps them, a bytes32 of UTF-8 right-padded with zero bytes, and back as text. Pure.
 */

/** An ingredient's name is a bytes32 on chain: at most 32 bytes of UTF-8. */
export const MAX_INGREDIENT_NAME_BYTES = 32;

/** An ingredient's name as the bytes32 the chain keeps: its UTF-8 bytes, right-padded with zeros. */
export function ingredientName(name: string): string {
  const bytes = Buffer.from(name, "utf8");
  if (bytes.length > MAX_INGREDIENT_NAME_BYTES) throw new RangeError(`ingredient name ${JSON.stringify(name)} is longer than ${MAX_INGREDIENT_NAME_BYTES} bytes of UTF-8`);
  return `0x${bytes.toString("hex").padEnd(64, "0")}`;
}

/** The text of a bytes32 ingredient name (UTF-8 up to the first zero byte; U+FFFD where not UTF-8). */
export function ingredientNameText(name: string): string {
  const bytes = Buffer.from(name.replace(/^0x/, ""), "hex");
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString("utf8");
}
