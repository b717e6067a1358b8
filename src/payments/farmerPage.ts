import type { RecordSealer } from "../chain/keystore";
import type { Queryable } from "../db";
import { listConsents } from "../farmers/consents";
import type { FarmerLanguage } from "../farmers/schemas";
import { getDeliveries } from "../indexer/queries";
import { escapeHtml } from "../web/passport/render";
import { listConfirmations, passkeyCount, type ConfirmationKind } from "./confirmationStore";
import { CURRENCY_EXPONENTS, formatMinor, type CurrencyCode } from "./currency";
import { FARMER_MESSAGES, formatDay, formatDecimal, type FarmerMessageKey } from "./farmerMessages";
import { listPayments } from "./paymentStore";
import { premiumOwedToDeliveries } from "./publicFigures";

/**
 * The farmer's own page: their deliveries, what they were paid, the premium owed to their
 * deliveries and paid to them, their consents, and their word on each payment. Private: only the
 * holder of a receipt code or of the farmer's passkey session sees it (see the routes).
 */
export type FarmerPageData = {
  language: FarmerLanguage;
  passkeys: number;
  deliveries: { lotId: string; grams: string; weighedAt: string | null }[];
  payments: {
    id: string;
    paidAt: string;
    currency: CurrencyCode;
    deliveryLotIds: string[];
    net: string;
    premium: string;
    /** The farmer's latest word: a passkey's counts as theirs; the weaker kinds say so. */
    confirmation: { kind: ConfirmationKind; verdict: "confirmed" | "disputed"; at: string } | null;
  }[];
  /** Per currency: the premium owed to the farmer's deliveries and the premium paid to them. */
  premium: { currency: string; owed: string; paid: string }[];
  consents: { scope: string; recordedAt: string; withdrawn: boolean }[];
};

export async function farmerPageData(db: Queryable, sealer: RecordSealer, farmerId: string): Promise<FarmerPageData> {
  const { rows } = await db.query<{ member_id: string; language: FarmerLanguage }>("select member_id::text, language from farmers where id = $1", [farmerId]);
  const farmer = rows[0]!;
  const payments = await listPayments(db, sealer, { memberId: BigInt(farmer.member_id), farmerId, limit: 1_000 });
  const lotIds = [...new Set(payments.flatMap((p) => p.deliveryLotIds.map(String)))].map((id) => BigInt(id));
  const deliveries = await getDeliveries(db, lotIds);
  const confirmations = await listConfirmations(db, sealer, payments.map((p) => p.id));
  const latest = new Map<string, (typeof confirmations)[number]>();
  for (const c of confirmations) latest.set(c.paymentId, c);
  const owed = await premiumOwedToDeliveries(db, lotIds);
  const premium = new Map<string, { owed: bigint; paid: bigint }>();
  for (const [key, amount] of owed) {
    const currency = key.split("|")[1]!;
    const row = premium.get(currency) ?? { owed: 0n, paid: 0n };
    row.owed += amount;
    premium.set(currency, row);
  }
  for (const p of payments) {
    const row = premium.get(p.currency) ?? { owed: 0n, paid: 0n };
    row.paid += p.details.premiumTotal;
    premium.set(p.currency, row);
  }
  return {
    language: farmer.language,
    passkeys: await passkeyCount(db, farmerId),
    deliveries: deliveries.map((d) => ({ lotId: d.lotId, grams: d.grams, weighedAt: d.createdAt ? new Date(d.createdAt).toISOString() : null })),
    payments: payments.map((p) => {
      const c = latest.get(p.id);
      return {
        id: p.id,
        paidAt: p.paidAt.toISOString(),
        currency: p.currency,
        deliveryLotIds: p.deliveryLotIds.map(String),
        net: p.details.net.toString(),
        premium: p.details.premiumTotal.toString(),
        confirmation: c ? { kind: c.kind, verdict: c.verdict, at: c.createdAt.toISOString() } : null,
      };
    }),
    premium: [...premium.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, r]) => ({ currency, owed: r.owed.toString(), paid: r.paid.toString() })),
    consents: (await listConsents(db, sealer, farmerId)).map((c) => ({ scope: c.scope, recordedAt: c.recordedAt.toISOString(), withdrawn: c.withdrawal !== null })),
  };
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:0 auto;max-width:34rem;padding:1rem;line-height:1.4;color:#111}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}table{border-collapse:collapse;width:100%}td,th{padding:.3rem;border-bottom:1px solid #ccc;text-align:left}
td.n{text-align:right;white-space:nowrap}button{font-size:1rem;padding:.6rem;margin:.2rem 0;width:100%}.ok{color:#05603a}.bad{color:#b42318}.note{color:#555;font-size:.9rem}
input{font-size:1.2rem;padding:.5rem;width:100%;box-sizing:border-box;letter-spacing:.1em}`;

function shell(language: FarmerLanguage, title: string, body: string): string {
  return `<!doctype html><html lang="${escapeHtml(language)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}
<script src="/me/webauthn.js"></script><script src="/me/app.js"></script></body></html>`;
}

/** The page that asks for the receipt code (also what a link with the code in its fragment opens first). */
export function codeEntryHtml(language: FarmerLanguage): string {
  const m = FARMER_MESSAGES[language];
  return shell(
    language,
    m.page,
    `<main id="code-entry"><h1>${escapeHtml(m.page)}</h1><form id="code-form"><label for="code">${escapeHtml(m.enterCode)}</label>
<input id="code" name="code" autocomplete="off" autocapitalize="characters" maxlength="20" required><button type="submit">${escapeHtml(m.open)}</button></form>
<p id="message" class="bad" role="alert" hidden>${escapeHtml(m.wrongCode)}</p>
<p class="note">${escapeHtml(m.orPasskey)}</p><button type="button" id="passkey-login">${escapeHtml(m.signIn)}</button></main>`,
  );
}

/** The farmer's own page (every text escaped). */
export function farmerPageHtml(data: FarmerPageData): string {
  const language = data.language;
  const m = (key: FarmerMessageKey) => escapeHtml(FARMER_MESSAGES[language][key]);
  const money = (amount: string, currency: string) =>
    `${escapeHtml(formatDecimal(formatMinor(BigInt(amount), currency), language, CURRENCY_EXPONENTS[currency as CurrencyCode] ?? 2))} ${escapeHtml(currency)}`;
  const kg = (grams: string) => escapeHtml(formatDecimal(`${BigInt(grams) / 1000n}.${(BigInt(grams) % 1000n) / 100n}`, language, 1));
  const day = (iso: string) => escapeHtml(formatDay(new Date(iso), language));
  const payments = data.payments.length === 0
    ? `<p>${m("noPayments")}</p>`
    : data.payments
        .map((p) => {
          const c = p.confirmation;
          const status = !c
            ? ""
            : c.kind === "passkey"
              ? `<p class="${c.verdict === "confirmed" ? "ok" : "bad"}" data-verdict="${escapeHtml(c.verdict)}">${c.verdict === "confirmed" ? m("confirmed") : m("disputed")}</p>`
              : `<p class="note" data-verdict="${escapeHtml(c.verdict)}" data-kind="${escapeHtml(c.kind)}">${m("weaker")}: ${c.verdict === "confirmed" ? m("confirm") : m("dispute")}</p>`;
          const actions =
            data.passkeys > 0
              ? `<button type="button" data-confirm="${escapeHtml(p.id)}" data-verdict="confirmed">${m("confirm")}</button><button type="button" data-confirm="${escapeHtml(p.id)}" data-verdict="disputed">${m("dispute")}</button>`
              : "";
          return `<section class="payment" id="${escapeHtml(p.id)}"><table><tr><th>${m("paidAt")}</th><td class="n">${day(p.paidAt)}</td></tr>
<tr><th>${m("deliveries")}</th><td class="n">${p.deliveryLotIds.map(escapeHtml).join(", ")}</td></tr>
<tr><th>${m("premiums")}</th><td class="n">${money(p.premium, p.currency)}</td></tr><tr><th>${m("net")}</th><td class="n"><b>${money(p.net, p.currency)}</b></td></tr></table>${status}${actions}</section>`;
        })
        .join("\n");
  const passkey =
    data.passkeys > 0
      ? `<p class="ok" id="passkey-state">${m("passkeyReady")}</p>`
      : `<p id="passkey-state">${m("passkeyNeeded")}</p><button type="button" id="register">${m("registerPasskey")}</button>`;
  const deliveries = data.deliveries.map((d) => `<tr><td>${escapeHtml(d.lotId)}</td><td>${d.weighedAt ? day(d.weighedAt) : ""}</td><td class="n">${kg(d.grams)} ${m("kg")}</td></tr>`).join("");
  const premium = data.premium.map((r) => `<tr><td>${escapeHtml(r.currency)}</td><td class="n">${money(r.owed, r.currency)}</td><td class="n">${money(r.paid, r.currency)}</td></tr>`).join("");
  const consents = data.consents.map((c) => `<li>${escapeHtml(c.scope)}: ${c.withdrawn ? m("withdrawn") : m("given")} (${day(c.recordedAt)})</li>`).join("");
  return shell(
    language,
    FARMER_MESSAGES[language].page,
    `<main id="farmer-page"><h1>${m("page")}</h1>${passkey}<p id="message" role="alert" hidden></p>
<h2>${m("yourPayments")}</h2>${payments}
<h2>${m("yourDeliveries")}</h2><table>${deliveries || `<tr><td>${m("none")}</td></tr>`}</table>
<h2>${m("premiumOwed")} / ${m("premiumPaid")}</h2><table>${premium || `<tr><td>${m("none")}</td></tr>`}</table>
<h2>${m("consents")}</h2><ul>${consents || `<li>${m("none")}</li>`}</ul></main>`,
  );
}

/**
 * The page's script (served as /me/app.js: the CSP allows no inline script). It sends the code
 * from the link's fragment (never sent to the server by the browser, so never in a log) or the
 * form, registers a passkey, and asks for and answers a payment's challenge.
 */
export const FARMER_PAGE_SCRIPT = `(() => {
  "use strict";
  const post = (path, body) => fetch(path, { method: "POST", headers: { "content-type": "application/json" }, credentials: "same-origin", body: JSON.stringify(body ?? {}) })
    .then(async (r) => ({ ok: r.ok, status: r.status, body: await r.json().catch(() => null) }));
  const say = (text) => { const el = document.getElementById("message"); if (el) { el.hidden = false; if (text) el.textContent = text; } };
  const openWith = async (code) => {
    const answer = await post("/me/session", { code });
    if (answer.ok) { history.replaceState(null, "", "/me"); location.reload(); } else say(null);
  };
  const W = window.SimpleWebAuthnBrowser;
  const login = document.getElementById("passkey-login");
  if (login) login.addEventListener("click", async () => {
    try {
      const options = await post("/me/login/options");
      const response = await W.startAuthentication({ optionsJSON: options.body });
      const answer = await post("/me/login", { response });
      if (answer.ok) location.reload(); else say(answer.body && answer.body.error ? answer.body.error.message : String(answer.status));
    } catch (error) { say(String(error && error.message || error)); }
  });
  const form = document.getElementById("code-form");
  if (form) {
    const fromLink = decodeURIComponent(location.hash.slice(1));
    if (fromLink) openWith(fromLink);
    form.addEventListener("submit", (event) => { event.preventDefault(); openWith(document.getElementById("code").value); });
    return;
  }
  const register = document.getElementById("register");
  if (register) register.addEventListener("click", async () => {
    try {
      const options = await post("/me/passkeys/options");
      const response = await W.startRegistration({ optionsJSON: options.body });
      const answer = await post("/me/passkeys", { response });
      if (answer.ok) location.reload(); else say(answer.body && answer.body.error ? answer.body.error.message : String(answer.status));
    } catch (error) { say(String(error && error.message || error)); }
  });
  for (const button of document.querySelectorAll("button[data-confirm]")) {
    button.addEventListener("click", async () => {
      const id = button.getAttribute("data-confirm");
      try {
        const options = await post("/me/payments/" + encodeURIComponent(id) + "/challenge", { verdict: button.getAttribute("data-verdict") });
        if (!options.ok) return say(options.body.error.message);
        const response = await W.startAuthentication({ optionsJSON: options.body });
        const answer = await post("/me/payments/" + encodeURIComponent(id) + "/confirmation", { response });
        if (answer.ok) location.reload(); else say(answer.body && answer.body.error ? answer.body.error.message : String(answer.status));
      } catch (error) { say(String(error && error.message || error)); }
    });
  }
})();
`;
