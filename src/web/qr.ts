import QRCode from "qrcode";
import { checkGtin } from "../products/gtin";

/**
 * QR codes for lot pages. A lot named as a trade item gets a GS1 Digital Link URI
 * (`/01/{gtin14}/10/{batch}`), any other lot the gateway's own path (`/l/{lotId}`). Error
 * correction M (15 % of the code may be lost): sacks get dirty and labels get creased, and M still
 * keeps a page URL small enough for a 2 cm code.
 */
export type LotPageTarget = { lotId: bigint | string | number } | { gtin: string; batch: string };

export type QrFormat = "svg" | "png";

const ERROR_CORRECTION = "M" as const;
/** Quiet zone in modules: the ISO/IEC 18004 minimum, which scanners need around the code. */
const MARGIN = 4;

/** The public page URL of a lot or product, under `base` (no trailing slash needed). */
export function lotPageUrl(base: string, target: LotPageTarget): string {
  const root = base.replace(/\/+$/, "");
  if ("gtin" in target) {
    const gtin = checkGtin(target.gtin);
    if (!gtin.ok) throw new TypeError(`GTIN ${target.gtin}: ${gtin.reason}`);
    return `${root}/01/${gtin.gtin14}/10/${encodeURIComponent(target.batch)}`;
  }
  return `${root}/l/${BigInt(target.lotId).toString()}`;
}

/** A standalone SVG document of the QR code (scales to any print size). */
export function qrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { type: "svg", errorCorrectionLevel: ERROR_CORRECTION, margin: MARGIN });
}

/** A PNG of the QR code, `scale` pixels per module. */
export function qrPng(url: string, scale = 8): Promise<Buffer> {
  return QRCode.toBuffer(url, { type: "png", errorCorrectionLevel: ERROR_CORRECTION, margin: MARGIN, scale });
}

/** The QR code as text for a terminal (half-block characters, two modules per character row). */
export function qrTerminal(url: string): Promise<string> {
  return QRCode.toString(url, { type: "terminal", small: true, errorCorrectionLevel: ERROR_CORRECTION });
}

/**
 * The code's dark modules as one SVG path in module units (`size` x `size`, quiet zone
 * included), for embedding many codes in one document such as a label sheet.
 */
export function qrPath(url: string): { path: string; size: number } {
  const code = QRCode.create(url, { errorCorrectionLevel: ERROR_CORRECTION });
  const { size, data } = code.modules;
  const parts: string[] = [];
  for (let row = 0; row < size; row++) {
    let col = 0;
    while (col < size) {
      if (!data[row * size + col]) {
        col++;
        continue;
      }
      const start = col;
      while (col < size && data[row * size + col]) col++;
      // One horizontal run of dark modules as a 1-module-high rectangle.
      parts.push(`M${start + MARGIN} ${row + MARGIN}h${col - start}v1h${start - col}z`);
    }
  }
  return { path: parts.join(""), size: size + 2 * MARGIN };
}
