/** The schema the read model lives in: `public`, or a rebuild's own schema while it is built. */
export type ReadModelSchema = string;

export const LIVE_SCHEMA: ReadModelSchema = "public";

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** `"schema".table`, refusing anything but a plain lower-case identifier (no quoting games). */
export function qualified(schema: ReadModelSchema, table: string): string {
  if (!IDENTIFIER.test(schema)) throw new TypeError(`invalid schema name ${JSON.stringify(schema)}`);
  if (!IDENTIFIER.test(table)) throw new TypeError(`invalid table name ${JSON.stringify(table)}`);
  return `"${schema}"."${table}"`;
}
