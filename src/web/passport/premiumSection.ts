import { formatMinor } from "../../payments/currency";
import type { PremiumFigures } from "../../payments/publicFigures";
import { LOCALES, message, type Locale, type MessageKey } from "../i18n";
import { escapeHtml } from "./render";
import type { LotPassport } from "./types";

const SCHEME_KEYS: Record<string, MessageKey> = { fairtrade: "schemeFairtrade", eudr: "schemeEudr", "living-income": "schemeLivingIncome", brand: "schemeBrand" };

/**
 * The premium figures on the page, under the claims: what buyers committed per kg and in all, the
 * share paid to the farmers, how many households (only from 5), the share of women, the median
 * days to payment, the pass-through table, and how to check it (the roots on chain, `firstmile
 * verify`). Nothing when no premium was committed.
 */
export function renderPremiumSection(passport: LotPassport, locale: Locale, verifyCommand: string): string {
  const figures: PremiumFigures | null | undefined = passport.premium;
  if (!figures) return "";
  const lang = LOCALES[locale].htmlLang;
  const t = (key: MessageKey, values: Record<string, string | number> = {}) => escapeHtml(message(locale, key, values));
  const money = (amount: string, currency: string) => {
    const major = formatMinor(BigInt(amount), currency);
    const digits = major.includes(".") ? major.split(".")[1]!.length : 0;
    // Decimal text to the reader's digits; the ISO code stays as is.
    return `${new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Number(major))} ${currency}`;
  };
  const percent = (bps: number) => new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 }).format(bps / 10_000);
  const nameOf = (memberId: string) => passport.members.find((m) => m.memberId === memberId)?.name ?? message(locale, "memberFallback", { id: memberId });
  const scheme = (name: string) => (SCHEME_KEYS[name] ? message(locale, SCHEME_KEYS[name]!) : name);
  const parts: string[] = [`<section id="premium"><h2>${t("premiumHeading")}</h2>`];
  for (const c of figures.commitments) {
    parts.push(`<p>${t("premiumCommitted", { buyer: nameOf(c.memberId), scheme: scheme(c.scheme), rate: money(c.ratePerKg, c.currency), total: money(c.total, c.currency) })}</p>`);
  }
  for (const total of figures.totals) {
    parts.push(
      total.sharePaidBps === null || total.paid === "0"
        ? `<p>${t("premiumNoPayout")}</p>`
        : `<p><b>${t("premiumPaidShare", { share: percent(total.sharePaidBps), paid: money(total.paid, total.currency), owed: money(total.owed, total.currency) })}</b></p>`,
    );
  }
  const converted = figures.converted;
  if (converted && converted.committed !== null && converted.paid !== null) {
    parts.push(
      `<p id="premium-converted">${t("premiumConverted", { currency: converted.currency, committed: money(converted.committed, converted.currency), paid: money(converted.paid, converted.currency), date: converted.date, source: converted.source })}${
        converted.example ? ` <b class="example">${t("premiumExampleRates")}</b>` : ""
      }</p>`,
    );
  }
  if (figures.payoutRuns.length > 0) {
    if (figures.farmers.fewerThan5) parts.push(`<p>${t("premiumFewFarmers")}</p>`);
    else {
      const facts = [t("premiumFarmers", { count: figures.farmers.count! })];
      if (figures.womenShareBps !== null) facts.push(t("premiumWomen", { share: percent(figures.womenShareBps) }));
      if (figures.confirmedByPasskeyBps !== null && figures.confirmedByPasskeyBps !== undefined) facts.push(t("premiumPasskeyShare", { share: percent(figures.confirmedByPasskeyBps) }));
      if (figures.medianDaysToPayment !== null) facts.push(t("premiumMedianDays", { days: new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(figures.medianDaysToPayment) }));
      parts.push(`<ul>${facts.map((fact) => `<li>${fact}</li>`).join("")}</ul>`);
    }
  }
  if (figures.intermediaries.length > 0) {
    parts.push(`<details id="premium-pass-through"><summary>${t("premiumPassThrough")}</summary><table class="pt"><thead><tr><th>${t("premiumWho")}</th><th>${t("premiumReceived")}</th><th>${t("premiumPassedOn")}</th><th>${t("premiumKept")}</th></tr></thead><tbody>`);
    for (const row of figures.intermediaries) {
      parts.push(
        `<tr><td>${escapeHtml(nameOf(row.memberId))}</td><td>${escapeHtml(money(row.received, row.currency))}</td><td>${escapeHtml(money(row.passedOn, row.currency))}</td><td>${row.keptBps === null ? "—" : escapeHtml(percent(row.keptBps))}</td></tr>`,
      );
    }
    parts.push("</tbody></table></details>");
  }
  const proofs = [...figures.commitments.map((c) => c.txHash), ...figures.payoutRuns.map((r) => r.root)];
  parts.push(`<p class="s">${t("premiumProof", { runs: figures.payoutRuns.length })} <code lang="en">${escapeHtml(verifyCommand)} --payouts &lt;export.json&gt;${figures.confirmedByPasskeyBps !== null && figures.confirmedByPasskeyBps !== undefined ? " --confirmations &lt;confirmations.json&gt;" : ""}</code><br>${proofs.map((p) => `<code>${escapeHtml(p)}</code>`).join(" ")}</p>`);
  parts.push("</section>");
  return parts.join("");
}
