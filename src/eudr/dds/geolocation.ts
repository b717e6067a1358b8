import type { PlotGeometry } from "../../origins";

/**
 * The geolocation of a due diligence statement as the EU information system takes it: a GeoJSON
 * FeatureCollection (RFC 7946, WGS 84 longitude/latitude), one feature per plot, a `Point` for a
 * plot of at most 4 ha (its `Area` given) or its outline (`Polygon`, `MultiPolygon`), coordinates
 * with at least 6 decimal places, and the properties `ProducerCountry`, `ProductionPlace`, `Area`
 * (ha) and `ProducerName` (only where the farmer consented to be named). Pure: no I/O.
 */
export type GeolocationPlot = {
  geometry: PlotGeometry;
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** Where the plot lies, as people name it: district, province. */
  place: string;
  areaHa: number;
  /** Null: the farmer has not consented (or withdrew consent) to be named in a statement. */
  producerName: string | null;
};

/** The information system's limit for one geolocation file. */
export const MAX_GEOLOCATION_BYTES = 25 * 1024 * 1024;
/** Decimal places a coordinate is written with at least (about 0.1 m). */
export const COORDINATE_DECIMALS = 6;

/** One feature of the collection, its geometry and properties as the file holds them. */
export function plotFeature(plot: GeolocationPlot): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    ProducerCountry: plot.country,
    ProductionPlace: plot.place,
    Area: roundHa(plot.areaHa),
  };
  if (plot.producerName) properties.ProducerName = plot.producerName;
  return { type: "Feature", properties, geometry: plot.geometry };
}

/**
 * The FeatureCollection text of `plots`, split into as many files as it takes to keep each under
 * `maxBytes` (a plot's feature never split), in plot order.
 */
export function geolocationFiles(plots: readonly GeolocationPlot[], maxBytes = MAX_GEOLOCATION_BYTES): string[] {
  const head = '{"type":"FeatureCollection","features":[';
  const tail = "]}\n";
  const files: string[] = [];
  let features: string[] = [];
  let size = head.length + tail.length;
  for (const plot of plots) {
    const text = featureText(plotFeature(plot));
    const bytes = Buffer.byteLength(text, "utf8") + (features.length > 0 ? 1 : 0);
    if (head.length + tail.length + Buffer.byteLength(text, "utf8") > maxBytes) {
      throw new RangeError(`one plot's feature is larger than ${maxBytes} bytes`);
    }
    if (features.length > 0 && size + bytes > maxBytes) {
      files.push(head + features.join(",") + tail);
      features = [];
      size = head.length + tail.length;
    }
    features.push(text);
    size += Buffer.byteLength(text, "utf8") + (features.length > 1 ? 1 : 0);
  }
  files.push(head + features.join(",") + tail);
  return files;
}

/** A feature as JSON, its coordinates written with at least {@link COORDINATE_DECIMALS} decimals. */
export function featureText(feature: Record<string, unknown>): string {
  const geometry = feature.geometry as { type: string; coordinates: unknown };
  const rest = JSON.stringify({ type: "Feature", properties: feature.properties });
  return `${rest.slice(0, -1)},"geometry":{"type":${JSON.stringify(geometry.type)},"coordinates":${coordinatesText(geometry.coordinates)}}}`;
}

function coordinatesText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(coordinatesText).join(",")}]`;
  return coordinateText(value as number);
}

/** `120.12345` as `120.123450`: JSON drops trailing zeros, the information system counts them. */
export function coordinateText(value: number): string {
  const text = String(value);
  const decimals = text.includes(".") && !text.includes("e") ? text.split(".")[1]!.length : 0;
  return decimals >= COORDINATE_DECIMALS ? text : value.toFixed(COORDINATE_DECIMALS);
}

function roundHa(areaHa: number): number {
  return Math.round(areaHa * 10_000) / 10_000;
}
