import QRCode from "qrcode";
import type { FarmerLanguage } from "../farmers/schemas";
import { escapeHtml } from "../web/passport/render";
import { CURRENCY_EXPONENTS, formatMinor } from "./currency";
import { FARMER_MESSAGES, formatDay, formatDecimal, type FarmerMessageKey } from "./farmerMessages";
import type { Payment } from "./paymentStore";
import { formatReceiptCode } from "./receiptCodes";

/**
 * A payment's printed receipt as one SVG document, in the farmer's language, with the QR code and
 * the short code that open the farmer's own page. Two layouts:
 *
 * - `thermal-58mm`: a 58 mm roll (48 mm printable, 384 dots at 203 dpi); drawn in dots, one column,
 *   as tall as it needs.
 * - `a6`: 105 x 148 mm, drawn in tenths of a millimetre, for an office printer (print at 100 %).
 *
 * The receipt names no farmer: whoever finds it learns an amount, never whose it is.
 */
export const RECEIPT_LAYOUTS = ["thermal-58mm", "a6"] as const;
export type ReceiptLayout = (typeof RECEIPT_LAYOUTS)[number];

export type ReceiptInput = {
  payment: Payment;
  language: FarmerLanguage;
  /** The farmer-page URL the QR code holds (the code in its fragment). */
  url: string;
  /** The receipt code, normalised. */
  code: string;
  /** Who paid (the cooperative's public name), if known. */
  payer?: string | null;
};

type Line = { text: string; size: "title" | "normal" | "small" | "big"; right?: string };

/** The lines of a receipt, top to bottom (shared by both layouts). */
export function receiptLines(input: ReceiptInput): Line[] {
  const m = (key: FarmerMessageKey) => FARMER_MESSAGES[input.language][key];
  const { payment, language } = input;
  const d = payment.details;
  const exponent = CURRENCY_EXPONENTS[payment.currency];
  const money = (amount: bigint) => `${formatDecimal(formatMinor(amount, payment.currency), language, exponent)} ${payment.currency}`;
  const kg = (grams: bigint) => `${formatDecimal(`${grams / 1000n}.${(grams % 1000n) / 100n}`, language, 1)} ${m("kg")}`;
  const lines: Line[] = [{ text: m("receipt"), size: "title" }];
  if (input.payer) lines.push({ text: input.payer, size: "small" });
  lines.push({ text: m("paidAt"), size: "normal", right: formatDay(payment.paidAt, language) });
  lines.push({ text: `${m("deliveries")}: ${payment.deliveryLotIds.map(String).join(", ")}`, size: "small" });
  lines.push({ text: m("weighed"), size: "normal", right: kg(d.grossGrams) });
  if (d.payableGrams !== d.grossGrams) lines.push({ text: m("payable"), size: "normal", right: kg(d.payableGrams) });
  lines.push({ text: `${m("price")} (${m(`basis_${d.price.basis}` as FarmerMessageKey)})`, size: "normal", right: money(d.price.perKg) });
  lines.push({ text: m("base"), size: "normal", right: money(d.base) });
  for (const x of d.deductions) lines.push({ text: `- ${x.reason}`, size: "small", right: `-${money(x.amount)}` });
  for (const x of d.premiums) lines.push({ text: `+ ${x.scheme ?? x.component}`, size: "small", right: money(x.amount) });
  lines.push({ text: m("net"), size: "big", right: money(d.net) });
  lines.push({ text: m("method"), size: "normal", right: m(`method_${d.method}` as FarmerMessageKey) });
  return lines;
}

/** QR modules of `url` (error correction M) as one SVG path, `module` units a module, at (x, y). */
function qrPath(url: string, x: number, y: number, module: number): { path: string; size: number } {
  const qr = QRCode.create(url, { errorCorrectionLevel: "M" });
  const n = qr.modules.size;
  let path = "";
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (qr.modules.get(row, col)) path += `M${x + col * module} ${y + row * module}h${module}v${module}h${-module}z`;
    }
  }
  return { path, size: n * module };
}

/** Characters that fit `width` units at font size `size` (a rough, safe 0.6 em per character). */
function wrap(text: string, width: number, size: number): string[] {
  const perLine = Math.max(8, Math.floor(width / (size * 0.6)));
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let current = "";
  for (const word of words) {
    if (current && (current + " " + word).length > perLine) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  return lines;
}

/** The receipt as a standalone SVG document. */
export function receiptSvg(input: ReceiptInput, layout: ReceiptLayout): string {
  const m = (key: FarmerMessageKey) => FARMER_MESSAGES[input.language][key];
  // Units: thermal in printer dots (8 a mm), A6 in tenths of a millimetre.
  const geometry =
    layout === "thermal-58mm"
      ? { width: 384, margin: 8, sizes: { title: 30, big: 28, normal: 22, small: 18 }, module: 6, physical: { w: "48mm", unit: 8 } }
      : { width: 1050, margin: 60, sizes: { title: 48, big: 42, normal: 32, small: 26 }, module: 10, physical: { w: "105mm", unit: 10 } };
  const { width, margin, sizes } = geometry;
  const inner = width - 2 * margin;
  const parts: string[] = [];
  let y = margin;
  const text = (value: string, size: number, x: number, anchor: "start" | "end" | "middle" = "start", bold = false) =>
    parts.push(`<text x="${x}" y="${Math.round(y * 10) / 10}" font-size="${size}"${anchor === "start" ? "" : ` text-anchor="${anchor}"`}${bold ? ' font-weight="bold"' : ""}>${escapeHtml(value)}</text>`);
  for (const line of receiptLines(input)) {
    const size = sizes[line.size];
    const bold = line.size === "title" || line.size === "big";
    if (line.right !== undefined) {
      // Label on its own line when label and value do not both fit.
      const fits = (line.text.length + line.right.length + 2) * size * 0.6 <= inner;
      y += size * 1.3;
      text(line.text, size, margin, "start", bold);
      if (!fits) y += size * 1.3;
      text(line.right, size, width - margin, "end", bold);
    } else {
      for (const piece of wrap(line.text, inner, size)) {
        y += size * 1.3;
        text(piece, size, line.size === "title" ? width / 2 : margin, line.size === "title" ? "middle" : "start", bold);
      }
    }
    if (line.size === "title" || line.size === "big") {
      y += size * 0.4;
      parts.push(`<path d="M${margin} ${Math.round(y)}H${width - margin}" stroke="#000" stroke-width="2"/>`);
    }
  }
  y = Math.round(y + sizes.normal);
  const qrModule = geometry.module;
  const probe = QRCode.create(input.url, { errorCorrectionLevel: "M" }).modules.size;
  // The quiet zone: four modules of white on every side (ISO/IEC 18004).
  const qrSize = (probe + 8) * qrModule;
  const qrX = Math.round((width - qrSize) / 2);
  const qr = qrPath(input.url, qrX + 4 * qrModule, y + 4 * qrModule, qrModule);
  parts.push(`<rect x="${qrX}" y="${y}" width="${qrSize}" height="${qrSize}" fill="#fff"/>`, `<path d="${qr.path}" fill="#000"/>`);
  y += qrSize;
  y += sizes.small * 0.5;
  for (const piece of wrap(m("scan"), inner, sizes.small)) {
    y += sizes.small * 1.3;
    text(piece, sizes.small, width / 2, "middle");
  }
  y += sizes.normal * 1.5;
  text(m("code"), sizes.normal, width / 2, "middle");
  y += sizes.big * 1.3;
  text(formatReceiptCode(input.code), sizes.big, width / 2, "middle", true);
  for (const piece of wrap(m("codeNote"), inner, sizes.small)) {
    y += sizes.small * 1.3;
    text(piece, sizes.small, width / 2, "middle");
  }
  y += margin;
  const height = layout === "a6" ? Math.max(1480, Math.ceil(y)) : Math.ceil(y);
  const physicalHeight = `${(height / geometry.physical.unit).toFixed(1)}mm`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${geometry.physical.w}" height="${physicalHeight}" viewBox="0 0 ${width} ${height}" font-family="'Noto Sans', 'DejaVu Sans', sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...parts,
    `</svg>`,
  ].join("\n");
}
