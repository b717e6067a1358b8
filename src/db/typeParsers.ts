/**
 * Text-format parsers by PostgreSQL type OID, shared by both engines so that they return the
 * same values (see `Database`). Array types reuse these element parsers on both engines.
 */
export const OID = {
  bytea: 17,
  int8: 20,
  date: 1082,
  timestamp: 1114,
  int8Array: 1016,
} as const;

export const parseInt8 = (text: string): bigint => BigInt(text);
export const parseBytea = (text: string): Buffer => {
  if (!text.startsWith("\\x")) throw new Error("bytea in escape format: set bytea_output = hex");
  return Buffer.from(text.slice(2), "hex");
};
export const parseAsText = (text: string): string => text;

export const TEXT_PARSERS: Record<number, (text: string) => unknown> = {
  [OID.int8]: parseInt8,
  [OID.bytea]: parseBytea,
  [OID.date]: parseAsText,
  [OID.timestamp]: parseAsText,
};
