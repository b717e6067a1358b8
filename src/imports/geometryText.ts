import { CellError } from "./cells";

/**
 * A plot outline written in a cell: GeoJSON (a geometry, or a Feature around one) or WKT
 * (`POLYGON ((lon lat, ...))`, `MULTIPOLYGON (((...)))`), as GPS apps and GIS tools export them.
 * Answers the GeoJSON geometry, unchecked (the plot rules check it), and the most decimal places
 * any coordinate is written with (the text keeps trailing zeros a JSON number loses).
 */
export function readOutline(text: string): { geometry: unknown; decimals: number } {
  const trimmed = text.trim();
  const decimals = Math.max(0, ...[...trimmed.matchAll(/-?\d+\.(\d+)/g)].map((match) => match[1]!.length));
  if (trimmed.startsWith("{")) {
    let parsed: { type?: unknown; geometry?: unknown };
    try {
      parsed = JSON.parse(trimmed) as typeof parsed;
    } catch {
      throw new CellError("the polygon is not valid GeoJSON (a brace or a comma is missing?)");
    }
    return { geometry: parsed.type === "Feature" ? parsed.geometry : parsed, decimals };
  }
  const wkt = /^(MULTIPOLYGON|POLYGON)\s*(\(.*\))$/is.exec(trimmed);
  if (!wkt) throw new CellError("the polygon is neither GeoJSON nor WKT (POLYGON ((lon lat, ...)))");
  const nested = parseNested(wkt[2]!);
  const type = wkt[1]!.toUpperCase() === "POLYGON" ? "Polygon" : "MultiPolygon";
  return { geometry: { type, coordinates: nested }, decimals };
}

/** WKT's nested parentheses as arrays; a position `lon lat` becomes [lon, lat]. */
function parseNested(text: string): unknown {
  let at = 0;
  const value = (): unknown => {
    skip();
    if (text[at] === "(") {
      at += 1;
      const items: unknown[] = [];
      for (;;) {
        items.push(value());
        skip();
        if (text[at] === ",") {
          at += 1;
          continue;
        }
        if (text[at] === ")") {
          at += 1;
          return items;
        }
        throw new CellError(`the WKT polygon breaks off near ${JSON.stringify(text.slice(at, at + 20))}`);
      }
    }
    const match = /^(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s+(-?\d+(?:\.\d+)?(?:e-?\d+)?)/i.exec(text.slice(at));
    if (!match) throw new CellError(`the WKT polygon has no position near ${JSON.stringify(text.slice(at, at + 20))} (positions are "lon lat")`);
    at += match[0].length;
    return [Number(match[1]), Number(match[2])];
  };
  const skip = () => {
    while (/\s/.test(text[at] ?? "")) at += 1;
  };
  const result = value();
  skip();
  if (at !== text.length) throw new CellError("text after the end of the WKT polygon");
  return result;
}
