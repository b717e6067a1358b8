import { demoSchemeByName } from "../../attestations/schemes";
import type { MemberKind } from "../../membership/kinds";

/**
 * The names a page shows for catalogue entries (forms, schemes, kinds of member), one table per
 * language. English pages use the catalogues' own names (src/lots/forms.ts, the scheme names
 * registered on chain); another language falls back to them for any entry it has no name for.
 */
export type LocaleNames = {
  /**
   * Form names by catalogue key (`FormSpec.key`). In a block-rubber form `{grade}` stands for its
   * grade: the national name where the producing member's country has one (STR 20 from Thailand,
   * SIR 20 from Indonesia, SMR 20 from Malaysia, SVR 20 from Vietnam), else the ISO name (TSR 20).
   */
  forms: Readonly<Record<string, string>>;
  /** Names of our own (demo) schemes by scheme key; any other scheme keeps the name it was registered with. */
  schemes: Readonly<Record<string, string>>;
  /** What a member is (its metadata document's `kind`). */
  kinds: Readonly<Record<MemberKind, string>>;
};

type TsrGrade = { iso: string; national: Readonly<Record<string, string>> };

/**
 * Technically specified rubber as the national standards name it, by producing country (ISO
 * 3166-1 alpha-2). Only grades a standard defines are listed: constant-viscosity CV60 is an SMR
 * and an SVR grade; Thailand's and Indonesia's standards name their CV grades otherwise.
 */
export const TSR_GRADES: Readonly<Record<string, TsrGrade>> = {
  "rubber-tsr10": { iso: "TSR 10", national: { TH: "STR 10", ID: "SIR 10", MY: "SMR 10", VN: "SVR 10" } },
  "rubber-tsr20": { iso: "TSR 20", national: { TH: "STR 20", ID: "SIR 20", MY: "SMR 20", VN: "SVR 20" } },
  "rubber-cv60": { iso: "TSR CV60", national: { MY: "SMR CV60", VN: "SVR CV60" } },
};

/** The national name of a block-rubber form made in `country` (e.g. STR 20), or null. */
export function nationalTsrName(formKey: string, country: string | null | undefined): string | null {
  const grade = TSR_GRADES[formKey];
  return (grade && country && grade.national[country.toUpperCase()]) || null;
}

export type NamedForm = { id: number; key: string | null; name: string | null };

/**
 * A form's name in `names`' language, else its catalogue (English) name; a block-rubber grade
 * carries its national name as a label when the producer's country has one.
 */
export function formNameIn(names: LocaleNames, form: NamedForm, producerCountry?: string | null): string {
  const national = form.key ? nationalTsrName(form.key, producerCountry) : null;
  const translated = form.key && Object.prototype.hasOwnProperty.call(names.forms, form.key) ? names.forms[form.key] : undefined;
  if (translated) return translated.replace("{grade}", national ?? TSR_GRADES[form.key!]?.iso ?? "");
  const english = form.name ?? `form ${form.id}`;
  return national ? `${english} (${national})` : english;
}

export type NamedScheme = { id: number; name: string | null };

/**
 * A scheme's name in `names`' language when it is one of our own schemes (found by the name it
 * was registered with, or a name it had before), else the name it was registered with: a real
 * scheme a network's governors registered keeps its own name in every language.
 */
export function schemeNameIn(names: LocaleNames, scheme: NamedScheme): string {
  if (scheme.name === null) return `#${scheme.id}`;
  const ours = demoSchemeByName(scheme.name);
  if (!ours) return scheme.name;
  return (Object.prototype.hasOwnProperty.call(names.schemes, ours.key) ? names.schemes[ours.key] : undefined) ?? ours.name;
}
