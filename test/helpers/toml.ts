/**
 * A strict reader for the TOML subset Besu's node configuration uses: comments, and flat
 * `key=value` lines whose value is a basic string, an integer, a float, a boolean or an array of
 * basic strings. Anything else (tables, inline tables, dates, multi-line values, a duplicate key)
 * is an error, so a generated file that a real TOML parser might read differently fails here.
 */
export type TomlValue = string | number | boolean | string[];

export function parseFlatToml(text: string): Record<string, TomlValue> {
  const out: Record<string, TomlValue> = {};
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const match = /^([A-Za-z0-9_-]+)\s*=\s*(.+)$/.exec(line);
    if (!match) throw new Error(`line ${index + 1}: not key=value: ${raw}`);
    const [, key, value] = match as unknown as [string, string, string];
    if (Object.hasOwn(out, key)) throw new Error(`line ${index + 1}: duplicate key ${key}`);
    out[key] = parseValue(value.trim(), index + 1);
  });
  return out;
}

function parseValue(text: string, line: number): TomlValue {
  if (text === "true" || text === "false") return text === "true";
  if (/^[+-]?(0|[1-9](_?\d)*)$/.test(text)) return Number(text.replace(/_/g, ""));
  if (/^[+-]?(0|[1-9]\d*)\.\d+$/.test(text)) return Number(text);
  if (text.startsWith('"')) return basicString(text, line);
  if (text.startsWith("[") && text.endsWith("]")) {
    const inner = text.slice(1, -1).trim();
    if (inner === "") return [];
    const items: string[] = [];
    let rest = inner;
    while (rest.length > 0) {
      const end = closingQuote(rest, line);
      items.push(basicString(rest.slice(0, end + 1), line));
      rest = rest.slice(end + 1).trim();
      if (rest.startsWith(",")) rest = rest.slice(1).trim();
      else if (rest !== "") throw new Error(`line ${line}: expected , between array items`);
    }
    return items;
  }
  throw new Error(`line ${line}: unsupported value ${text}`);
}

/** Index of the quote closing the basic string that starts `text`. */
function closingQuote(text: string, line: number): number {
  if (!text.startsWith('"')) throw new Error(`line ${line}: expected a string`);
  for (let i = 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  throw new Error(`line ${line}: unterminated string`);
}

function basicString(text: string, line: number): string {
  const end = closingQuote(text, line);
  if (end !== text.length - 1) throw new Error(`line ${line}: text after a string: ${text}`);
  // TOML basic strings share JSON's escapes for what the generator writes.
  return JSON.parse(text) as string;
}
