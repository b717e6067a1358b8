import Flatbush from "flatbush";
import { EudrInputError } from "./errors";
import { sha256Hex, type DatasetRef } from "./rasterLayer";
import { polygonShape, type PlotShape } from "./shapes";

/** The EU Deforestation Regulation's cut-off: loss on or before this day is not deforestation under it. */
export const CUTOFF = "2020-12-31";

/** Property names a loss alert's date is read from, in this order (RADD, GLAD and GFW exports use these). */
export const ALERT_DATE_PROPERTIES = ["date", "alert_date", "alertDate", "loss_date"] as const;

/** An alert after the cut-off, as the check tests pixel centres against it. */
export type LossAlert = { date: string; shape: PlotShape };

/** Vector loss alerts: those dated after the cut-off, indexed by bounding box. */
export type AlertLayer = DatasetRef & {
  kind: "alerts";
  /** Alerts in the file, and those after the cut-off the check uses. */
  features: number;
  alerts: LossAlert[];
  /** The FeatureCollection's `bbox`, if it has one: where the alerts' source looked. */
  extent: [number, number, number, number] | null;
  /** Alerts whose box meets [minX, minY, maxX, maxY]. */
  near(bounds: readonly [number, number, number, number]): LossAlert[];
};

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Reads a GeoJSON FeatureCollection of Polygon / MultiPolygon loss alerts (RFC 7946: WGS 84
 * longitude/latitude), each with a date. Throws EudrInputError naming the file and the feature
 * for anything it cannot read with certainty: another CRS, another geometry type, a missing or
 * unreadable date (an alert of unknown date could be before or after the cut-off).
 */
export function readAlertLayer(name: string, bytes: Uint8Array): AlertLayer {
  const fail = (code: string, message: string) => new EudrInputError(code, name, message);
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw fail("bad_alerts", `not GeoJSON (${(error as Error).message})`);
  }
  const collection = document as { type?: unknown; features?: unknown; crs?: { properties?: { name?: unknown } }; bbox?: unknown };
  if (!collection || collection.type !== "FeatureCollection" || !Array.isArray(collection.features)) throw fail("bad_alerts", "expected a GeoJSON FeatureCollection of loss alerts");
  const crsName = collection.crs?.properties?.name;
  if (collection.crs !== undefined && !(typeof crsName === "string" && /(CRS84|EPSG:?:?4326)$/i.test(crsName))) {
    throw fail("wrong_crs", `coordinate system ${JSON.stringify(crsName ?? collection.crs)}; GeoJSON alerts must be WGS 84 longitude/latitude (RFC 7946)`);
  }
  const extent = Array.isArray(collection.bbox) && collection.bbox.length === 4 && collection.bbox.every((v) => typeof v === "number") ? (collection.bbox as [number, number, number, number]) : null;
  const alerts: LossAlert[] = [];
  collection.features.forEach((item, index) => {
    const feature = item as { type?: unknown; geometry?: { type?: unknown; coordinates?: unknown }; properties?: Record<string, unknown> | null };
    const where = `feature ${index}`;
    if (!feature || feature.type !== "Feature" || !feature.geometry) throw fail("bad_alerts", `${where}: not a Feature with a geometry`);
    const type = feature.geometry.type;
    if (type !== "Polygon" && type !== "MultiPolygon") throw fail("bad_alerts", `${where}: a ${String(type)}; loss alerts are Polygons or MultiPolygons`);
    const polygons = (type === "Polygon" ? [feature.geometry.coordinates] : feature.geometry.coordinates) as unknown;
    if (!validPolygons(polygons)) throw fail("bad_alerts", `${where}: coordinates are not [longitude, latitude] rings of at least 4 positions`);
    const date = alertDate(feature.properties ?? {});
    if (!date) {
      throw fail("unknown_alert_date", `${where} has no readable date (properties ${ALERT_DATE_PROPERTIES.join(", ")} as YYYY-MM-DD): an alert of unknown date could be after the cut-off`);
    }
    if (date > CUTOFF) alerts.push({ date, shape: polygonShape(polygons) });
  });
  const index = alerts.length > 0 ? new Flatbush(alerts.length) : null;
  if (index) {
    for (const alert of alerts) index.add(...alert.shape.bounds);
    index.finish();
  }
  return {
    name,
    sha256: sha256Hex(bytes),
    bytes: bytes.byteLength,
    kind: "alerts",
    features: collection.features.length,
    alerts,
    extent,
    near: (bounds) => (index ? index.search(...bounds).map((i) => alerts[i]!) : []),
  };
}

function alertDate(properties: Record<string, unknown>): string | null {
  for (const key of ALERT_DATE_PROPERTIES) {
    const value = properties[key];
    if (typeof value !== "string") continue;
    const match = ISO_DATE.exec(value.trim());
    if (!match) return null;
    const day = `${match[1]}-${match[2]}-${match[3]}`;
    const parsed = new Date(`${day}T00:00:00Z`);
    return Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== day ? null : day;
  }
  return null;
}

function validPolygons(value: unknown): value is number[][][][] {
  const isPosition = (p: unknown) => Array.isArray(p) && p.length >= 2 && typeof p[0] === "number" && typeof p[1] === "number" && Math.abs(p[0]) <= 180 && Math.abs(p[1]) <= 90;
  return Array.isArray(value) && value.length > 0 && value.every((poly) => Array.isArray(poly) && poly.length > 0 && poly.every((ring) => Array.isArray(ring) && ring.length >= 4 && ring.every(isPosition)));
}
