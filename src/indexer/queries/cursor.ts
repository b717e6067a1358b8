import { InvalidCursorError } from "./errors";

/**
 * Opaque keyset cursors: the sort key of the last item, tagged with the list it belongs to,
 * as base64url JSON. Values are strings (lot ids exceed 2^53).
 */
export function encodeCursor(list: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([list, ...key.map(String)])).toString("base64url");
}

/**
 * The key of a cursor of `list`, each part checked against `patterns`.
 *
 * @throws {InvalidCursorError} for anything else.
 */
export function decodeCursor(list: string, cursor: string, patterns: readonly RegExp[]): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError(`Malformed cursor ${JSON.stringify(cursor.slice(0, 80))}`);
  }
  if (!Array.isArray(parsed) || parsed[0] !== list || parsed.length !== patterns.length + 1) {
    throw new InvalidCursorError(`The cursor is not one of this list's (${list})`);
  }
  const key = parsed.slice(1);
  key.forEach((part, index) => {
    if (typeof part !== "string" || !patterns[index]!.test(part)) throw new InvalidCursorError(`Malformed cursor for ${list}`);
  });
  return key as string[];
}

export const ID = /^\d{1,19}$/;
export const INT = /^\d{1,10}$/;
export const DAY = /^\d{4}-\d{2}-\d{2}$/;
