import type { MemberKind } from "../../membership/kinds";
import { en, enNames, type MessageKey, type Messages } from "./en";
import { id, idNames } from "./id";
import { formNameIn, schemeNameIn, type LocaleNames, type NamedForm, type NamedScheme } from "./names";
import { th, thNames } from "./th";
import { vi, viNames } from "./vi";

export type { LocaleNames, MessageKey, Messages, NamedForm, NamedScheme };
export { TSR_GRADES, nationalTsrName } from "./names";

export const LOCALES = { en, id, th, vi } as const satisfies Record<string, Messages>;
export type Locale = keyof typeof LOCALES;
export const LOCALE_NAMES = Object.keys(LOCALES) as Locale[];
/** Names of forms, schemes and kinds of member, per language. */
export const NAMES = { en: enNames, id: idNames, th: thNames, vi: viNames } as const satisfies Record<Locale, LocaleNames>;

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

/** A form's name in the reader's language (else the catalogue's English name), with a block-rubber grade's national name when `producerCountry` has one. */
export function formName(locale: Locale, form: NamedForm, producerCountry?: string | null): string {
  return formNameIn(NAMES[locale], form, producerCountry);
}

/** One of our schemes in the reader's language; any other scheme by the name it was registered with. */
export function schemeName(locale: Locale, scheme: NamedScheme): string {
  return schemeNameIn(NAMES[locale], scheme);
}

/** What a member is, in the reader's language. */
export function memberKindName(locale: Locale, kind: MemberKind): string {
  return NAMES[locale].kinds[kind];
}
