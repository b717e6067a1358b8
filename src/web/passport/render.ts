import { districtMapSvg } from "../geo/districtMap";
import { LOCALE_NAMES, LOCALES, formName, memberKindName, message, schemeName, type Locale, type MessageKey } from "../i18n";
import { custodyPath, type CustodyStep } from "./custodySteps";
import type { LotPassport, PassportMember } from "./types";

/**
 * The public lot page as HTML: no script, inline CSS, mobile first, every value from the twin
 * (the events the heads vouch for) and every piece of text escaped. Summaries, not rows: a lot
 * made of 1,000 deliveries renders in a few kilobytes.
 */

/** The Thai land unit: 1 rai = 1,600 m², so 1 ha = 6.25 rai. Thai pages give areas in both. */
export const RAI_PER_HECTARE = 6.25;

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" })[c]!);
}

/** Only our own paths (not protocol-relative `//host`) and the query strings we build are ever put in an href. */
export function safeHref(href: string): string {
  return /^(\/(?!\/)[A-Za-z0-9._~\-/]*)?(\?[A-Za-z0-9=&._~-]*)?$/.test(href) && href.length > 0 ? escapeHtml(href) : "#";
}

const CSS = `*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,sans-serif;color:#222;background:#faf8f4}main{max-width:42rem;margin:0 auto;padding:.75rem}
h1{font-size:1.35rem;margin:.4rem 0}h2{font-size:1.1rem;margin:1.2rem 0 .4rem;border-bottom:1px solid #ddd}nav{font-size:.85rem;text-align:right}nav a{margin-left:.5rem}
.v{padding:.6rem .8rem;border-radius:.4rem;margin:.6rem 0}.ok{background:#e3f4e1;border:1px solid #4a9a40}.bad{background:#fde2e0;border:2px solid #c0281c;color:#8a1208}
.v b{font-size:1.05rem}.s{color:#555;font-size:.85rem;overflow-wrap:anywhere}dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:.4rem 0}dt{color:#666}dd{margin:0}
ol,ul{padding-left:1.2rem}li{margin:.25rem 0}.st-valid{color:#2a7a20}.st-expired{color:#8a6a00}.st-revoked{color:#b02018}svg{max-width:100%;height:auto}
a{color:#1b5fa0;overflow-wrap:anywhere}code{font-size:.75rem;overflow-wrap:anywhere}`;

export type RenderContext = {
  locale: Locale;
  /** The path the page was asked at (for the language links and the verify hint). */
  path: string;
  /** Absolute URL of the page, for `firstmile verify`. */
  url: string;
};

export function renderPassportPage(passport: LotPassport, context: RenderContext): string {
  const { locale } = context;
  const t = (key: MessageKey, values: Record<string, string | number> = {}) => escapeHtml(message(locale, key, values));
  const dates = new Intl.DateTimeFormat(LOCALES[locale].htmlLang, { dateStyle: "medium", timeZone: "UTC" });
  const dateTimes = new Intl.DateTimeFormat(LOCALES[locale].htmlLang, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
  const numbers = new Intl.NumberFormat(LOCALES[locale].htmlLang, { maximumFractionDigits: 1 });
  const date = (iso: string | null) => (iso ? dates.format(new Date(iso)) : "?");
  const weight = (grams: bigint | string) => {
    const g = Number(grams);
    if (g >= 1_000_000) return `${new Intl.NumberFormat(LOCALES[locale].htmlLang, { maximumFractionDigits: 2 }).format(g / 1_000_000)} t`;
    if (g >= 1_000) return `${numbers.format(g / 1_000)} kg`;
    return `${numbers.format(g)} g`;
  };
  const roleKey: Record<string, MessageKey> = { cooperative: "roleCooperative", processor: "roleProcessor", brand: "roleBrand", certifier: "roleCertifier" };
  const who = (member: PassportMember | string | null) => {
    if (member === null) return "?";
    if (typeof member === "string") return escapeHtml(member.startsWith("#") ? message(locale, "memberFallback", { id: member.slice(1) }) : member);
    const name = member.name ?? message(locale, "memberFallback", { id: member.memberId });
    // What the member says it is (a buying station holds the cooperative role to mint), else its role.
    const role = member.roles.map((r) => roleKey[r]).find((k) => k !== undefined) ?? "roleMember";
    const what = member.kind ? escapeHtml(memberKindName(locale, member.kind)) : t(role);
    return `${escapeHtml(name)} <span class="s">(${what})</span>`;
  };
  /** A scheme's name in the reader's language, and its version, as plain text (escape it where it is written). */
  const schemeText = (scheme: { id: number; name: string | null; version?: string | null }) => `${schemeName(locale, scheme)}${scheme.version ? ` ${scheme.version}` : ""}`;
  const area = (m2: number) => ({ area: numbers.format(m2 / 10_000), rai: numbers.format((m2 / 10_000) * RAI_PER_HECTARE) });

  const { lot, origin, verification } = passport;
  // The member that made the lot (minted or derived it) decides a national grade name (STR 20 from Thailand).
  const genesis = passport.lots[0]?.events[0]?.event;
  const producer = genesis && "custodian" in genesis ? passport.members.find((m) => m.memberId === passport.accounts[genesis.custodian.toLowerCase()]) : undefined;
  const lotFormName = formName(locale, lot.form, producer?.country);
  const status = t(lot.status === "active" ? "statusActive" : lot.status === "in_transit" ? "statusInTransit" : "statusConsumed");
  const parts: string[] = [];

  // Language switch.
  parts.push(
    `<nav aria-label="${t("language")}">${LOCALE_NAMES.map((code) =>
      code === locale ? `<b>${escapeHtml(LOCALES[code].languageName)}</b>` : `<a href="${safeHref(`?lang=${code}`)}" hreflang="${code}">${escapeHtml(LOCALES[code].languageName)}</a>`,
    ).join(" ")}</nav>`,
  );
  parts.push(`<h1>${t("title")}</h1>`);
  parts.push("<dl>");
  if (passport.product) {
    const productText = passport.product.name ? passport.product.name : `GTIN ${passport.product.gtin}`;
    parts.push(`<dt>${t("product")}</dt><dd>${escapeHtml(productText)} <span class="s">GTIN ${escapeHtml(passport.product.gtin)} · ${escapeHtml(passport.product.batch)}</span></dd>`);
  }
  parts.push(`<dt>${t("lotLabel", { lotId: "" }).trim()}</dt><dd>${escapeHtml(lot.lotId)}</dd>`);
  parts.push(`<dt>${t("form")}</dt><dd>${escapeHtml(lotFormName)}</dd>`);
  parts.push(`<dt>${t("weight")}</dt><dd>${weight(lot.grams)} <span class="s">(${status})</span></dd>`);
  parts.push(`<dt>${t("holder")}</dt><dd>${who(lot.custodian)}</dd>`);
  parts.push("</dl>");

  // What was verified.
  const checked = t("checkedAt", { block: verification.block.number, time: verification.block.time ? dateTimes.format(new Date(verification.block.time)) : "?" });
  if (verification.ok) {
    parts.push(
      `<section class="v ok" id="verification"><b>&#10003; ${t("verifiedOk")}</b><br>${t("verifiedDetail", { lots: numbers.format(verification.lotsChecked), attestations: numbers.format(verification.attestationsChecked) })}<br><span class="s">${checked}</span></section>`,
    );
  } else {
    const shown = verification.mismatches.slice(0, 12).map((m) => `<li>${escapeHtml(m.what)}</li>`);
    if (verification.mismatches.length > 12) shown.push(`<li>… +${verification.mismatches.length - 12}</li>`);
    parts.push(`<section class="v bad" id="verification" role="alert"><b>&#10007; ${t("verifiedBad")}</b><br>${t("verifiedBadDetail")}<ul>${shown.join("")}</ul><span class="s">${checked}</span></section>`);
  }

  // Origin.
  parts.push(`<h2>${t("originHeading")}</h2>`);
  parts.push(`<p>${t("originDeliveries", { count: numbers.format(origin.deliveries), weight: weight(origin.grams) })}`);
  if (origin.firstDelivery) parts.push(`<br>${t("originBetween", { from: date(origin.firstDelivery), to: date(origin.lastDelivery) })}`);
  parts.push("</p>");
  if (origin.plots > 0) {
    parts.push(`<p>${t("originPlots", { plots: numbers.format(origin.plots), ...area(origin.areaM2) })}</p><ul>`);
    for (const d of origin.districts.slice(0, 20)) {
      parts.push(`<li>${escapeHtml(d.district)}, ${escapeHtml(d.province)}, ${escapeHtml(d.country)} — ${t("originPlots", { plots: numbers.format(d.plots), ...area(d.areaM2) })}</li>`);
    }
    parts.push("</ul>");
    const map = districtMapSvg(origin.districts, t("mapCaption"));
    if (map) parts.push(`<figure style="margin:0">${map}<figcaption class="s">${t("mapCaption")}</figcaption></figure>`);
  } else {
    parts.push(`<p>${t("originNone")}</p>`);
  }
  if (origin.unregistered > 0) parts.push(`<p class="s">${t("originUnregistered", { count: numbers.format(origin.unregistered) })}</p>`);
  parts.push(`<p class="s">${t("originPrivacy")}</p>`);

  // Custody path.
  const path = custodyPath(passport);
  const label = (step: CustodyStep) => {
    switch (step.kind) {
      case "deliveries":
        return t("stepDeliveries", { count: numbers.format(step.count), member: "\u0000" }).replace("\u0000", who(step.member));
      case "merged":
        return t("stepMerged", { member: "\u0000" }).replace("\u0000", who(step.member));
      case "split":
        return t("stepSplit", { member: "\u0000" }).replace("\u0000", who(step.member));
      case "transformed":
        return t("stepTransformed", { member: "\u0000" }).replace("\u0000", who(step.member));
      case "handover":
        return t("stepHandover", { from: "\u0000", to: "\u0001" }).replace("\u0000", who(step.sender)).replace("\u0001", who(step.receiver));
    }
  };
  const detail = (step: CustodyStep) => {
    switch (step.kind) {
      case "deliveries":
        return `${weight(step.grams)} · ${date(step.first)}${step.last && step.last.slice(0, 10) !== step.first?.slice(0, 10) ? ` – ${date(step.last)}` : ""}`;
      case "handover":
        return `${date(step.at)} · ${t("stepSentReceived", { sent: weight(step.sent), received: weight(step.received) })}`;
      default: {
        const yieldText = step.kind === "transformed" && step.inputGrams > 0n ? ` · ${t("yield", { percent: `${numbers.format(Number((step.outputGrams * 10_000n) / step.inputGrams) / 100)} %` })}` : "";
        return `${date(step.at)} · ${t("stepWeights", { input: weight(step.inputGrams), output: weight(step.outputGrams) })}${yieldText}`;
      }
    }
  };
  parts.push(`<h2>${t("custodyHeading")}</h2>`);
  parts.push(custodySvg(path.steps, (step) => stripTags(label(step))));
  parts.push(`<ol>${path.steps.map((step) => `<li>${label(step)}<br><span class="s">${detail(step)}</span></li>`).join("")}</ol>`);
  if (path.omitted > 0) parts.push(`<p class="s">${t("moreSteps", { count: numbers.format(path.omitted) })}</p>`);

  // Claims and attestations.
  parts.push(`<h2>${t("claimsHeading")}</h2>`);
  if (passport.claims.length === 0 && passport.attestations.length === 0) parts.push(`<p>${t("noClaims")}</p>`);
  if (passport.claims.length > 0) parts.push(`<ul>${passport.claims.map((c) => `<li>${t("claimCarried", { scheme: schemeName(locale, c.scheme) })}${c.validUntil ? ` · ${t("attUntil", { date: date(c.validUntil) })}` : ""}</li>`).join("")}</ul>`);
  if (passport.attestations.length > 0) {
    // One line per scheme and subject, then each attestation that is not valid (a consumer most
    // needs to see a revoked or expired certificate), then valid ones up to a cap.
    const groups = new Map<string, { scheme: string; plot: boolean; valid: number; expired: number; revoked: number; plots: Set<string> }>();
    for (const a of passport.attestations) {
      const plot = a.subjectKind === "plot";
      const key = `${a.scheme.id}:${plot ? "plot" : "lot"}`;
      const group = groups.get(key) ?? { scheme: schemeText(a.scheme), plot, valid: 0, expired: 0, revoked: 0, plots: new Set<string>() };
      group[a.status] += 1;
      if (plot) group.plots.add(a.subject);
      groups.set(key, group);
    }
    const summary = [...groups.values()].map((g) => {
      const values = { scheme: g.scheme, valid: numbers.format(g.valid), expired: numbers.format(g.expired), revoked: numbers.format(g.revoked), plots: numbers.format(g.plots.size) };
      return `<li>${g.plot ? t("attSummaryPlots", values) : t("attSummaryLots", values)}</li>`;
    });
    parts.push(`<ul>${summary.join("")}</ul>`);
    const rank = { revoked: 0, expired: 1, valid: 2 } as const;
    const ordered = [...passport.attestations].sort((a, b) => rank[a.status] - rank[b.status]);
    const notValid = ordered.filter((a) => a.status !== "valid").slice(0, 20);
    const valid = ordered.filter((a) => a.status === "valid");
    const shownValid = valid.slice(0, Math.max(0, 12 - notValid.length));
    const items = [...notValid, ...shownValid].map((a) => {
      const statusText = a.status === "revoked" ? t("attRevokedReason", { reason: a.revocation?.reason ?? "?" }) : t(a.status === "valid" ? "attValid" : "attExpired");
      const certifier = a.certifier.name ?? message(locale, "memberFallback", { id: a.certifier.memberId });
      const until = a.expiresAt ? t("attUntil", { date: date(a.expiresAt) }) : t("attNoExpiry");
      const about = a.subjectKind === "plot" ? `${t("attPlotSubject", { lotId: a.lotId })} · ` : "";
      return `<li><b class="st-${a.status}">${statusText}</b> — ${about}${t("attBy", { certifier, scheme: schemeText(a.scheme) })} · ${until}<br><code>${escapeHtml(a.uid)}</code></li>`;
    });
    parts.push(`<ul>${items.join("")}</ul>`);
    if (valid.length > shownValid.length) parts.push(`<p class="s">${t("attMoreValid", { count: numbers.format(valid.length - shownValid.length) })}</p>`);
  }

  // Evidence.
  parts.push(`<h2>${t("evidenceHeading")}</h2>`);
  if (passport.evidence.length === 0) parts.push(`<p>${t("evidenceNone")}</p>`);
  else {
    const items = passport.evidence.map((e) => {
      const what = e.source.kind === "lot" ? `lot ${e.source.lotId}` : e.source.kind === "attestation" ? `attestation ${e.source.uid.slice(0, 10)}…` : message(locale, "memberFallback", { id: e.source.memberId });
      const link = e.href && e.cid && /^\/ipfs\/[a-z0-9]+$/.test(e.href) ? `<a href="${safeHref(e.href)}">${escapeHtml(e.cid)}</a>` : `<code>${escapeHtml(e.digest)}</code> (${t("evidenceUnavailable")})`;
      return `<li>${escapeHtml(what)}: ${link}</li>`;
    });
    parts.push(`<ul>${items.join("")}</ul>`);
  }

  parts.push(`<p class="s"><a href="${safeHref("?format=json")}">${t("jsonLink")}</a><br>${t("verifyYourself", { url: context.url })}</p>`);
  const title = passport.product?.name ? `${passport.product.name} — ${message(locale, "title")}` : `${message(locale, "lotLabel", { lotId: lot.lotId })} — ${message(locale, "title")}`;
  return page(locale, title, parts.join("\n"));
}

/** A short page for 404, 400, 429 and 500 answers, in the reader's language. */
export function renderMessagePage(locale: Locale, titleKey: MessageKey, body: string): string {
  const title = message(locale, titleKey);
  return page(locale, title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p>`);
}

function page(locale: Locale, title: string, body: string): string {
  return `<!doctype html><html lang="${LOCALES[locale].htmlLang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${CSS}</style></head><body><main>${body}</main></body></html>`;
}

function stripTags(html: string): string {
  return html.replace(/<[^>]*>/g, "");
}

/**
 * The custody path as an SVG graph: one box per step, top to bottom in chain order; an edge from
 * each step to the step it fed (straight to the next box, an arc on the right when it skips).
 * `text` returns already-escaped text.
 */
function custodySvg(steps: CustodyStep[], text: (step: CustodyStep) => string): string {
  const width = 320;
  const boxW = 270;
  const boxH = 30;
  const gap = 14;
  const height = steps.length * (boxH + gap);
  const y = (i: number) => i * (boxH + gap) + 2;
  const out: string[] = [];
  steps.forEach((step, i) => {
    for (const from of step.from) {
      if (from === i - 1) out.push(`<line x1="${boxW / 2}" y1="${y(from) + boxH}" x2="${boxW / 2}" y2="${y(i)}" stroke="#7a6a50" stroke-width="1.5"/>`);
      else {
        const x = boxW + 6 + Math.min(36, (i - from) * 4);
        out.push(`<path d="M${boxW} ${y(from) + boxH / 2}C${x} ${y(from) + boxH / 2} ${x} ${y(i) + boxH / 2} ${boxW} ${y(i) + boxH / 2}" fill="none" stroke="#7a6a50"/>`);
      }
    }
  });
  steps.forEach((step, i) => {
    const fill = step.kind === "deliveries" ? "#f3e6c8" : step.kind === "handover" ? "#e2ecf6" : "#e6f0dc";
    const label = text(step);
    const short = label.length > 44 ? `${label.slice(0, 43)}…` : label;
    out.push(`<rect x="1" y="${y(i)}" width="${boxW}" height="${boxH}" rx="5" fill="${fill}" stroke="#7a6a50"/><text x="8" y="${y(i) + 19}" font-size="11">${i + 1}. ${short}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${Math.max(height, 10)}" width="100%" role="img">${out.join("")}</svg>`;
}
