import { en, type MessageKey, type Messages } from "./en";
import { id } from "./id";
import { th } from "./th";
import { vi } from "./vi";

export type { MessageKey, Messages };

export const LOCALES = { en, id, th, vi } as const satisfies Record<string, Messages>;
export type Locale = keyof typeof LOCALES;
export const LOCALE_NAMES = Object.keys(LOCALES) as Locale[];

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(LOCALES, value);
}

/**
 * The language to answer in: `?lang=` if it names one we have, else the first of the
 * `Accept-Language` ranges (by q) whose primary tag we have, else English.
 */
export function pickLocale(lang: unknown, acceptLanguage: string | undefined): Locale {
  if (isLocale(lang)) return lang;
  const ranges = (acceptLanguage ?? "")
    .split(",")
    .slice(0, 20)
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { primary: tag.trim().toLowerCase().split("-")[0]!, q: q === undefined ? 1 : Number(q), index };
    })
    .filter((range) => range.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const range of ranges) {
    if (range.primary === "in") return "id"; // the old code for Indonesian
    if (isLocale(range.primary)) return range.primary;
  }
  return "en";
}

/** A message with its `{placeholders}` filled in. Values are plain text: the renderer escapes the result. */
export function message(locale: Locale, key: MessageKey, values: Record<string, string | number> = {}): string {
  return LOCALES[locale][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
