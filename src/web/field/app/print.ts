import { payableGrams, type Delivery } from "./deliveries";
import { formatMoney, formatNumber, formatTime, type Language, type Words } from "./i18n";
import { h } from "./view";

/**
 * The receipt as printed at the buying point, from the phone, with `window.print`: the two paper
 * layouts of the gateway's printed receipts (src/payments/receipt.ts), a 58 mm thermal roll (48 mm
 * printable) and A6 (105 × 148 mm). The print CSS (app.css, `@media print`) shows only this sheet
 * and gives it its named page (`@page thermal`, `@page a6`); on screen it is hidden.
 *
 * Drawn here rather than by the gateway's receiptSvg: that one is Node code (the receipt codes'
 * crypto, the lot page's HTML helpers) and needs a stored payment; the phone prints before the
 * payment reaches the gateway. Same lines, same order, same sizes of paper. The sheet names no
 * farmer, as the gateway's receipt does not: a lost receipt tells an amount, never whose it is.
 */
export const PRINT_LAYOUTS = ["thermal-58mm", "a6"] as const;
export type PrintLayout = (typeof PRINT_LAYOUTS)[number];

export function printSheet(delivery: Delivery, qrMarkup: string, language: Language, w: Words, formName: string): HTMLElement {
  const money = (minor: number) => formatMoney(language, minor, delivery.currency, delivery.minorUnits);
  const kg = (grams: number) => `${formatNumber(language, grams / 1000, 1)} ${w.kg}`;
  const payable = Number(payableGrams(delivery.grams, delivery.basis, delivery.form, delivery.qualityBps));
  const base = delivery.amountMinor + delivery.deductionMinor - delivery.premiumMinor;
  const line = (label: string, value: string, kind = "") => h("div", { class: `line ${kind}` }, h("span", null, label), h("b", null, value));
  const qr = h("div", { class: "sheet-qr" });
  qr.innerHTML = qrMarkup;
  return h(
    "section",
    { class: "print-sheet", "data-testid": "print-sheet", "aria-hidden": "true" },
    h("h2", null, w.receipt),
    line(w.paid, formatTime(language, delivery.recordedAt)),
    line(w.form, formName),
    line(w.weightKg, kg(delivery.grams)),
    payable !== delivery.grams ? line(`${delivery.form >= 20 ? w.drc : w.moisture} ${formatNumber(language, delivery.qualityBps / 100, 1)} %`, kg(payable)) : null,
    line(`${w.pricePerKg} (${delivery.basis === "wet" ? w.basisWet : w.basisDry})`, money(delivery.perKgMinor)),
    delivery.deductionMinor > 0 ? line(`- ${w.deductions}`, `-${money(delivery.deductionMinor)}`, "small") : null,
    delivery.premiumMinor > 0 ? line(`+ ${w.premium}`, money(delivery.premiumMinor), "small") : null,
    delivery.deductionMinor > 0 || delivery.premiumMinor > 0 ? line("=", money(base), "small") : null,
    line(w.toPay, money(delivery.amountMinor), "amount"),
    qr,
    h("p", { class: "sheet-code" }, w.receiptCode, h("strong", null, delivery.shortCode)),
  );
}

/** Prints the receipt on the layout's paper: the sheet takes the layout's named page, then the browser's print dialog. */
export function printReceipt(sheet: HTMLElement, layout: PrintLayout): void {
  sheet.dataset.layout = layout;
  window.print();
}
