import type { LabelLot } from "./labelLots";
import { lotPageUrl, qrPath } from "./qr";

/**
 * Printable A4 sheets of sack labels, as SVG in millimetres: 2 x 7 labels of 99.1 x 38.1 mm per
 * sheet (the common L7163 layout), each with the lot page's QR code (the product's GS1 Digital
 * Link when the lot is named), lot id, form, weight in kg and GTIN/batch. Pure: no I/O.
 */
export const LABELS_PER_SHEET = 14;

const PAGE = { width: 210, height: 297 };
const LABEL = { width: 99.1, height: 38.1, columns: 2, rows: 7, top: 15.15, left: 4.65, gap: 2.5 };
const QR_MM = 34;

/** One SVG document per sheet of up to 14 labels. */
export function labelSheets(lots: readonly LabelLot[], publicBase: string): string[] {
  const sheets: string[] = [];
  for (let start = 0; start < lots.length; start += LABELS_PER_SHEET) {
    sheets.push(labelSheet(lots.slice(start, start + LABELS_PER_SHEET), publicBase));
  }
  return sheets;
}

/** The page URL a lot's label points at. */
export function labelUrl(lot: LabelLot, publicBase: string): string {
  return lot.product ? lotPageUrl(publicBase, lot.product) : lotPageUrl(publicBase, { lotId: lot.lotId });
}

function labelSheet(lots: readonly LabelLot[], publicBase: string): string {
  const labels = lots.map((lot, index) => {
    const x = LABEL.left + (index % LABEL.columns) * (LABEL.width + LABEL.gap);
    const y = LABEL.top + Math.floor(index / LABEL.columns) * LABEL.height;
    return label(lot, publicBase, round(x), round(y));
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${PAGE.width}mm" height="${PAGE.height}mm" viewBox="0 0 ${PAGE.width} ${PAGE.height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<title>firstmile lot labels</title>`,
    ...labels,
    `</svg>`,
    "",
  ].join("\n");
}

function label(lot: LabelLot, publicBase: string, x: number, y: number): string {
  const url = labelUrl(lot, publicBase);
  const qr = qrPath(url);
  const scale = round(QR_MM / qr.size);
  const textX = round(x + QR_MM + 3);
  const width = round(LABEL.width - QR_MM - 6);
  const lines: string[] = [
    `<text x="${textX}" y="${round(y + 8)}" font-size="4.6" font-weight="bold">Lot ${escapeXml(lot.lotId)}</text>`,
    `<text x="${textX}" y="${round(y + 14)}" font-size="3.6">${escapeXml(lot.formName)}</text>`,
    `<text x="${textX}" y="${round(y + 20)}" font-size="3.6">${escapeXml(kilograms(lot.grams))} kg</text>`,
  ];
  if (lot.product) {
    lines.push(`<text x="${textX}" y="${round(y + 25.5)}" font-size="2.8">GTIN ${escapeXml(lot.product.gtin)}</text>`);
    lines.push(`<text x="${textX}" y="${round(y + 29.5)}" font-size="2.8">Batch ${escapeXml(lot.product.batch)}</text>`);
  }
  // The URL in print too, for whoever cannot scan; squeezed to the label's width when long.
  const fit = url.length * 1.05 > width ? ` textLength="${width}" lengthAdjust="spacingAndGlyphs"` : "";
  lines.push(`<text x="${textX}" y="${round(y + 34.5)}" font-size="1.9"${fit}>${escapeXml(url)}</text>`);
  return [
    `<g class="label" data-lot="${escapeXml(lot.lotId)}">`,
    `<rect x="${x}" y="${y}" width="${LABEL.width}" height="${LABEL.height}" rx="2" fill="none" stroke="#bbb" stroke-width="0.2"/>`,
    `<g class="qr" data-url="${escapeXml(url)}" transform="translate(${round(x + 2)} ${round(y + (LABEL.height - QR_MM) / 2)}) scale(${scale})">`,
    `<rect width="${qr.size}" height="${qr.size}" fill="#fff"/><path d="${qr.path}" fill="#000" shape-rendering="crispEdges"/>`,
    `</g>`,
    ...lines,
    `</g>`,
  ].join("\n");
}

/** Grams as kilograms with up to three decimals and thousands separators: "1,234.5". */
export function kilograms(grams: string): string {
  const value = BigInt(grams);
  const whole = (value / 1000n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = (value % 1000n).toString().padStart(3, "0").replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);
}

const round = (value: number) => Math.round(value * 1000) / 1000;
