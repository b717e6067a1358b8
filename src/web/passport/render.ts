import { originMapSvg } from "../geo/originMap";
import { renderPremiumSection } from "./premiumSection";
import { LOCALE_NAMES, LOCALES, formName, memberKindName, message, schemeName, type Locale, type MessageKey } from "../i18n";
import { claimLines } from "./claimLines";
import { custodyStages } from "./custodyStages";
import { custodyPath, type CustodyStep } from "./custodySteps";
import { mismatchText } from "./mismatchText";
import type { LotPassport, PassportAttestation, PassportEvidence, PassportMember } from "./types";

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

/**
 * Sizes in rem, so the phone's font size setting scales the page (at 200 % nothing overflows);
 * fonts a phone has for Thai and Vietnamese, named before the generic family; contrast AA.
 */
const CSS = `*{box-sizing:border-box}html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif;color:#1d1d1d;background:#faf8f4}
:lang(th){font-family:"Noto Sans Thai","Noto Sans Thai UI","Leelawadee UI",Thonburi,Tahoma,Sarabun,Loma,Garuda,"Noto Sans",sans-serif;line-height:1.7}
:lang(vi){font-family:Roboto,"Segoe UI","Noto Sans","Helvetica Neue",Arial,Tahoma,sans-serif;line-height:1.6}
main{max-width:40rem;margin:0 auto;padding:.25rem .75rem 2rem}nav{display:flex;flex-wrap:wrap;justify-content:flex-end;gap:0 .9rem;font-size:.875rem;padding:.25rem 0}
nav a,nav b{padding:.3rem 0}h1{font-size:1.4rem;line-height:1.25;margin:.3rem 0}h2{font-size:1.1rem;margin:1.3rem 0 .4rem;padding-bottom:.15rem;border-bottom:1px solid #d8d2c4}
p{margin:.4rem 0}.story{font-size:1.05rem}.v{padding:.5rem .75rem;border-radius:.4rem;margin:.6rem 0}.v p{margin:.15rem 0}.ok{background:#e3f4e1;border:1px solid #3f8a36}
.bad{background:#fde2e0;border:2px solid #c0281c;color:#7a1006}.unk{background:#fff2d6;border:2px solid #9a6a00}.v b{font-size:1.1rem}
.s{color:#555;font-size:.875rem;overflow-wrap:anywhere}dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:.4rem 0}dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
ul,ol{padding-left:1.2rem;margin:.3rem 0}li{margin:.3rem 0}.cl{list-style:none;padding:0}.cl>li{margin:.4rem 0;padding:.3rem .5rem;background:#fff;border:1px solid #e2dccd;border-radius:.4rem}
summary{cursor:pointer;padding:.2rem 0}details ul,details ol{font-size:.9375rem}.st-valid{color:#2a6e22}.st-expired{color:#7d5f00}.st-revoked{color:#a81c14}
.path{list-style:none;padding:0;margin:.4rem 0 .4rem .4rem}.path li{position:relative;margin:0;padding:0 0 .7rem 1.1rem;border-left:2px solid #b8a888}.path li:last-child{border-left-color:transparent}
.path li::before{content:"";position:absolute;left:-.45rem;top:.35rem;width:.8rem;height:.8rem;border-radius:50%;background:#d9822b}svg{display:block;max-width:100%;height:auto}figure{margin:.5rem 0}
.pt{width:100%;table-layout:fixed;border-collapse:collapse;font-size:.875rem}.pt th,.pt td{padding:.15rem .3rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
a{color:#1b5a96;overflow-wrap:anywhere}code{font-size:.8125rem;overflow-wrap:anywhere;word-break:break-all}`;

/** Valid attestations listed under one claim line; the rest are counted (all are in the twin). */
const VALID_PER_CLAIM = 6;

export type RenderContext = {
  locale: Locale;
  /** The path the page was asked at (for the language links and the verify hint). */
  path: string;
  /** Absolute URL of the page, for `firstmile verify`. */
  url: string;
};

export function renderPassportPage(passport: LotPassport, context: RenderContext): string {
  const { locale } = context;
  const lang = LOCALES[locale].htmlLang;
  const t = (key: MessageKey, values: Record<string, string | number> = {}) => escapeHtml(message(locale, key, values));
  const dates = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeZone: "UTC" });
  const dateTimes = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
  const numbers = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  const list = (items: string[]) => new Intl.ListFormat(lang, { style: "long", type: "conjunction" }).format(items);
  const regionNames = new Intl.DisplayNames([lang, "en"], { type: "region", fallback: "code" });
  const country = (code: string) => {
    try {
      return regionNames.of(code.toUpperCase()) ?? code;
    } catch {
      return code; // not a region code: shown as written
    }
  };
  const date = (iso: string | null) => (iso ? dates.format(new Date(iso)) : "?");
  /** One date, or a range only when the days differ. */
  const dateRange = (first: string | null, last: string | null) => (!first ? "?" : !last || last.slice(0, 10) === first.slice(0, 10) ? date(first) : `${date(first)} – ${date(last)}`);
  const weight = (grams: bigint | string) => {
    const g = Number(grams);
    if (g >= 1_000_000) return `${new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(g / 1_000_000)} t`;
    if (g >= 1_000) return `${numbers.format(g / 1_000)} kg`;
    return `${numbers.format(g)} g`;
  };
  const roleKey: Record<string, MessageKey> = { cooperative: "roleCooperative", processor: "roleProcessor", brand: "roleBrand", certifier: "roleCertifier" };
  const nameOf = (member: PassportMember | string) =>
    typeof member === "string" ? (member.startsWith("#") ? message(locale, "memberFallback", { id: member.slice(1) }) : member) : (member.name ?? message(locale, "memberFallback", { id: member.memberId }));
  /** What the member says it is (a buying station holds the cooperative role to mint), else its role; plain text. */
  const whatOf = (member: PassportMember) => (member.kind ? memberKindName(locale, member.kind) : message(locale, member.roles.map((r) => roleKey[r]).find((k) => k !== undefined) ?? "roleMember"));
  const who = (member: PassportMember | string | null) => {
    if (member === null) return "?";
    if (typeof member === "string") return escapeHtml(nameOf(member));
    return `${escapeHtml(nameOf(member))} <span class="s">(${escapeHtml(whatOf(member))})</span>`;
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

  // Language switch: each language named in itself, marked as that language.
  parts.push(
    `<nav aria-label="${t("language")}">${LOCALE_NAMES.map((code) =>
      code === locale
        ? `<b lang="${LOCALES[code].htmlLang}">${escapeHtml(LOCALES[code].languageName)}</b>`
        : `<a href="${safeHref(`?lang=${code}`)}" hreflang="${code}" lang="${LOCALES[code].htmlLang}">${escapeHtml(LOCALES[code].languageName)}</a>`,
    ).join("")}</nav>`,
  );

  // The first screen: what it is, where it was grown, whether it checks out, what is claimed.
  parts.push(`<h1 id="product">${escapeHtml(passport.product?.name ?? `${capitalise(lotFormName)} · ${message(locale, "lotLabel", { lotId: lot.lotId })}`)}</h1>`);
  const commodity = t(lot.commodity === "cocoa" ? "commodityCocoa" : lot.commodity === "rubber" ? "commodityRubber" : "commodityOther");
  let story: string;
  if (origin.plots > 0) {
    const byCountry = new Map<string, Map<string, string[]>>();
    for (const d of origin.districts) {
      const provinces = byCountry.get(d.country) ?? new Map<string, string[]>();
      provinces.set(d.province, [...(provinces.get(d.province) ?? []), d.district]);
      byCountry.set(d.country, provinces);
    }
    const places = [...byCountry].map(([code, provinces]) => {
      const inProvinces = [...provinces].map(([province, districts]) => message(locale, "storyPlaces", { districts: list(districts.slice(0, 6)), province }));
      return `${list(inProvinces.slice(0, 4))}, ${country(code)}`;
    });
    const where = { commodity, farms: numbers.format(origin.plots), places: places.slice(0, 3).join("; ") };
    // How many farmers only from 5 households up: below that the count could point at a family.
    story = origin.farmers !== null ? t("storyGrownBy", { ...where, farmers: numbers.format(origin.farmers) }) : t("storyGrown", where);
  } else story = t("storyUnregistered", { commodity, deliveries: numbers.format(origin.deliveries) });
  parts.push(`<p class="story" id="story">${story}</p>`);

  // The verification badge: verified at block N / does not match / could not check, with the time.
  const checked = t("checkedAt", { block: verification.block.number, time: verification.block.time ? `${dateTimes.format(new Date(verification.block.time))} UTC` : "?" });
  const checkedDetail = t("verifiedDetail", { lots: numbers.format(verification.lotsChecked), attestations: numbers.format(verification.attestationsChecked) });
  if (verification.ok) {
    parts.push(`<section class="v ok" id="verification"><p><b>&#10003; ${t("verifiedOk")}</b></p><p class="s">${checked}</p><details><summary>${t("whatWasChecked")}</summary><p class="s">${checkedDetail}</p></details></section>`);
  } else if (verification.mismatches.length > 0 && verification.mismatches.every((m) => m.kind === "chain")) {
    parts.push(`<section class="v unk" id="verification" role="alert"><p><b>? ${t("verifiedUnknown")}</b></p><p>${t("verifiedUnknownDetail")}</p><p class="s">${checked}</p></section>`);
  } else {
    const shown = verification.mismatches.slice(0, 12).map((m) => `<li>${escapeHtml(mismatchText(locale, m))}</li>`);
    if (verification.mismatches.length > 12) shown.push(`<li>… +${verification.mismatches.length - 12}</li>`);
    parts.push(`<section class="v bad" id="verification" role="alert"><p><b>&#10007; ${t("verifiedBad")}</b></p><p>${t("verifiedBadDetail")}</p><ul>${shown.join("")}</ul><p class="s">${checked}</p></section>`);
  }

  // Claims: one line per scheme in plain words, the attestations behind it one tap away.
  const evidenceByDigest = new Map(passport.evidence.map((e) => [e.digest.toLowerCase(), e]));
  const evidenceLink = (e: PassportEvidence) =>
    e.href && e.cid && /^\/ipfs\/[a-z0-9]+$/.test(e.href) ? `<a href="${safeHref(e.href)}">${escapeHtml(e.cid)}</a>` : `<code>${escapeHtml(e.digest)}</code> (${t("evidenceUnavailable")})`;
  const attestationItem = (a: PassportAttestation) => {
    const statusText = a.status === "revoked" ? t("attRevokedReason", { reason: a.revocation?.reason ?? "?" }) : t(a.status === "valid" ? "attValid" : "attExpired");
    const certifier = a.certifier.name ?? message(locale, "memberFallback", { id: a.certifier.memberId });
    const until = a.expiresAt ? t("attUntil", { date: date(a.expiresAt) }) : t("attNoExpiry");
    const about = a.subjectKind === "plot" ? `${t("attPlotSubject", { lotId: a.lotId })} · ` : "";
    return `<li><b class="st-${a.status}">${statusText}</b> — ${about}${t("attBy", { certifier })} · ${until}<br><code>${escapeHtml(a.uid)}</code></li>`;
  };
  parts.push(`<section id="claims"><h2>${t("claimsHeading")}</h2>`);
  const lines = claimLines(passport);
  if (passport.claims.length === 0 && lines.length === 0) parts.push(`<p>${t("noClaims")}</p>`);
  const items: string[] = passport.claims.map((c) => `<li>${t("claimCarried", { scheme: schemeName(locale, c.scheme) })}${c.validUntil ? ` · ${t("attUntil", { date: date(c.validUntil) })}` : ""}</li>`);
  for (const line of lines) {
    const scheme = schemeText(line.scheme);
    const values = { scheme, valid: numbers.format(line.valid), plots: numbers.format(line.total ?? 0), total: numbers.format(line.total ?? 0) };
    let text =
      line.subject === "plots"
        ? t(line.total !== null && line.valid === line.total ? "claimPlotsAll" : "claimPlotsSome", values)
        : line.subject === "deliveries"
          ? t(line.total !== null && line.valid === line.total ? "claimDeliveriesAll" : "claimDeliveriesSome", values)
          : t("claimLots", values);
    if (line.revoked > 0) text += `, ${t("claimRevoked", { count: numbers.format(line.revoked) })}`;
    if (line.expired > 0) text += `, ${t("claimExpired", { count: numbers.format(line.expired) })}`;
    // No tick anywhere on a page that did not check out.
    const mark = line.revoked + line.expired > 0 ? `<b class="st-revoked" aria-hidden="true">!</b> ` : verification.ok ? `<b class="st-valid" aria-hidden="true">&#10003;</b> ` : "";
    // Inside: each revoked or expired attestation, then valid ones up to a cap (all are in the twin).
    const notValid = line.attestations.filter((a) => a.status !== "valid").slice(0, 20);
    const valid = line.attestations.filter((a) => a.status === "valid");
    const shownValid = valid.slice(0, Math.max(0, VALID_PER_CLAIM - notValid.length));
    const certifiers = [...new Map(line.attestations.map((a) => [a.certifier.memberId, a.certifier])).values()].map((c) => {
      const member = passport.members.find((m) => m.memberId === c.memberId);
      return `${c.name ?? message(locale, "memberFallback", { id: c.memberId })}${member ? ` (${whatOf(member)})` : ""}`;
    });
    const evidence = [...new Set(line.attestations.map((a) => a.evidence.toLowerCase()))].map((digest) => evidenceByDigest.get(digest)).filter((e): e is PassportEvidence => e !== undefined);
    const inside = [
      `<p>${t("claimCertifiedBy", { certifiers: list(certifiers) })}</p>`,
      evidence.length > 0 ? `<p>${t("claimEvidence")} ${evidence.map(evidenceLink).join(", ")}</p>` : "",
      `<ul>${[...notValid, ...shownValid].map(attestationItem).join("")}</ul>`,
      valid.length > shownValid.length ? `<p class="s">${t("attMoreValid", { count: numbers.format(valid.length - shownValid.length) })}</p>` : "",
    ].join("");
    items.push(`<li><details><summary>${mark}${text}</summary>${inside}</details></li>`);
  }
  // A claim deliveries carried from their plots that this lot lost: say why, next to the claims.
  for (const lost of passport.lostClaims ?? []) {
    const values = { scheme: schemeName(locale, lost.scheme), with: numbers.format(lost.deliveriesWith), total: numbers.format(lost.deliveries) };
    items.push(`<li><b class="st-revoked" aria-hidden="true">!</b> ${t("claimLost", values)}</li>`);
  }
  for (const statement of passport.statements ?? []) {
    items.push(`<li><b class="st-valid" aria-hidden="true">&#10003;</b> ${t("ddsFiled", { reference: statement.referenceNumber })}</li>`);
  }
  if (items.length > 0) parts.push(`<ul class="cl">${items.join("")}</ul>`);
  parts.push("</section>");
  parts.push(premiumSlot(passport, locale, context.url));

  // Origin: the districts on the map, in their island's coastline and their country.
  parts.push(`<section id="origin"><h2>${t("originHeading")}</h2>`);
  parts.push(`<p>${t("originDeliveries", { count: numbers.format(origin.deliveries), weight: weight(origin.grams) })}`);
  if (origin.firstDelivery) {
    const sameDay = !origin.lastDelivery || origin.lastDelivery.slice(0, 10) === origin.firstDelivery.slice(0, 10);
    parts.push(`<br>${sameDay ? t("originOn", { date: date(origin.firstDelivery) }) : t("originBetween", { from: date(origin.firstDelivery), to: date(origin.lastDelivery) })}`);
  }
  parts.push("</p>");
  if (origin.plots > 0) {
    const map = originMapSvg({ districts: origin.districts, escapedLabel: t("originHeading") });
    if (map) parts.push(`<figure>${map}<figcaption class="s">${t("mapCaption", { country: country(origin.districts[0]!.country) })}</figcaption></figure>`);
    parts.push(`<p>${t("originPlots", { plots: numbers.format(origin.plots), ...area(origin.areaM2) })}</p><ul>`);
    for (const d of origin.districts.slice(0, 20)) {
      parts.push(`<li>${escapeHtml(d.district)}, ${escapeHtml(d.province)}, ${escapeHtml(country(d.country))} — ${t("originPlots", { plots: numbers.format(d.plots), ...area(d.areaM2) })}</li>`);
    }
    parts.push("</ul>");
  } else {
    parts.push(`<p>${t("originNone")}</p>`);
  }
  if (origin.unregistered > 0) parts.push(`<p class="s">${t("originUnregistered", { count: numbers.format(origin.unregistered) })}</p>`);
  parts.push(`<p class="s">${t("originPrivacy")}</p></section>`);

  // Custody: a short path of who held it, where and when; every step one tap away.
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
        return `${weight(step.grams)} · ${dateRange(step.first, step.last)}`;
      case "handover":
        return `${date(step.at)} · ${t("stepSentReceived", { sent: weight(step.sent), received: weight(step.received) })}`;
      default: {
        const yieldText = step.kind === "transformed" && step.inputGrams > 0n ? ` · ${t("yield", { percent: `${numbers.format(Number((step.outputGrams * 10_000n) / step.inputGrams) / 100)} %` })}` : "";
        return `${date(step.at)} · ${t("stepWeights", { input: weight(step.inputGrams), output: weight(step.outputGrams) })}${yieldText}`;
      }
    }
  };
  parts.push(`<section id="custody"><h2>${t("custodyHeading")}</h2><ol class="path">`);
  if (origin.deliveries > 0) {
    const districts = [...new Set(origin.districts.map((d) => d.district))].slice(0, 6);
    parts.push(`<li><b>${t("pathFarms", { count: numbers.format(origin.plots || origin.deliveries) })}</b>${districts.length > 0 ? `<br><span class="s">${escapeHtml(list(districts))}</span>` : ""}</li>`);
  }
  for (const stage of custodyStages(path.steps)) {
    const known = stage.members.filter((m): m is PassportMember => typeof m !== "string");
    const kinds = [...new Set(known.map(whatOf))];
    const names = `<b>${escapeHtml(list(stage.members.map(nameOf)))}</b>${kinds.length > 0 ? ` <span class="s">(${escapeHtml(list(kinds))})</span>` : ""}`;
    const places = [...new Set(known.map((m) => [m.region, country(m.country)].filter((p): p is string => Boolean(p)).join(", ")))];
    const where = [...places.slice(0, 3), dateRange(stage.first, stage.last)].map(escapeHtml).join(" · ");
    parts.push(`<li>${names}<br><span class="s">${where}</span></li>`);
  }
  parts.push("</ol>");
  parts.push(`<details id="custody-steps"><summary>${t("allSteps", { count: numbers.format(path.steps.length + path.omitted) })}</summary><ol>${path.steps.map((step) => `<li>${label(step)}<br><span class="s">${detail(step)}</span></li>`).join("")}</ol>`);
  if (path.omitted > 0) parts.push(`<p class="s">${t("moreSteps", { count: numbers.format(path.omitted) })}</p>`);
  parts.push("</details></section>");

  // The lot itself.
  parts.push(`<section id="facts"><h2>${t("factsHeading")}</h2><dl>`);
  if (passport.product) {
    parts.push(`<dt>${t("product")}</dt><dd>${escapeHtml(passport.product.name || `GTIN ${passport.product.gtin}`)} <span class="s">GTIN ${escapeHtml(passport.product.gtin)} · ${escapeHtml(passport.product.batch)}</span></dd>`);
  }
  parts.push(`<dt>${t("lotLabel", { lotId: "" }).trim()}</dt><dd>${escapeHtml(lot.lotId)}</dd>`);
  parts.push(`<dt>${t("form")}</dt><dd>${escapeHtml(lotFormName)}</dd>`);
  parts.push(`<dt>${t("weight")}</dt><dd>${weight(lot.grams)} <span class="s">(${status})</span></dd>`);
  if (lot.quality && lot.quality.bps > 0 && lot.quality.measure) {
    const percent = new Intl.NumberFormat(LOCALES[locale].htmlLang, { minimumFractionDigits: 1, maximumFractionDigits: 2 }).format(lot.quality.bps / 100);
    parts.push(`<dt>${t(lot.quality.measure === "drc" ? "qualityDrc" : "qualityMoisture")}</dt><dd>${escapeHtml(percent)} %</dd>`);
  }
  // Sugar, milk, lecithin a maker declared: part of the weight, never of a claim.
  const declared = (passport.lots[0]?.ingredients ?? []).filter((item) => item.outputForm === lot.form.id);
  if (declared.length > 0) {
    parts.push(`<dt>${t("ingredients")}</dt><dd>${declared.map((item) => `${escapeHtml(item.text)} ${weight(item.grams)}`).join(", ")}</dd>`);
  }
  parts.push(`<dt>${t("holder")}</dt><dd>${who(lot.custodian)}</dd>`);
  parts.push("</dl></section>");

  // Evidence, and how to check it all without trusting this gateway.
  if (passport.evidence.length === 0) parts.push(`<p>${t("evidenceNone")}</p>`);
  else {
    const evidenceItems = passport.evidence.map((e) => {
      const what =
        e.source.kind === "lot"
          ? message(locale, "evidenceOfLot", { lotId: e.source.lotId })
          : e.source.kind === "attestation"
            ? message(locale, "evidenceOfAttestation")
            : message(locale, "evidenceOfMember", { member: nameOf(passport.members.find((m) => m.memberId === (e.source as { memberId: string }).memberId) ?? `#${e.source.memberId}`) });
      return `<li>${escapeHtml(what)}: ${evidenceLink(e)}</li>`;
    });
    parts.push(`<details id="evidence"><summary>${t("evidenceHeading", { count: numbers.format(passport.evidence.length) })}</summary><ul>${evidenceItems.join("")}</ul></details>`);
  }
  parts.push(`<p class="s"><a href="${safeHref("?format=json")}">${t("jsonLink")}</a><br>${t("verifyYourself")} <code lang="en">firstmile verify ${escapeHtml(context.url)} --rpc &lt;node&gt;</code></p>`);
  const title = passport.product?.name ? `${passport.product.name} — ${message(locale, "title")}` : `${message(locale, "lotLabel", { lotId: lot.lotId })} — ${message(locale, "title")}`;
  return page(locale, title, parts.join("\n"));
}

/**
 * The farmer premium of this lot (docs/payments.md), on the first screen under the claims: what
 * buyers committed and how much reached the farmers, with its proofs. Nothing when the twin
 * carries no premium.
 */
export function premiumSlot(passport: LotPassport, locale: Locale = "en", url = ""): string {
  return renderPremiumSection(passport, locale, `firstmile verify ${url} --rpc <node>`);
}

function capitalise(text: string): string {
  return text.charAt(0).toLocaleUpperCase() + text.slice(1);
}

/** A short page for 404, 400, 429 and 500 answers, in the reader's language. */
export function renderMessagePage(locale: Locale, titleKey: MessageKey, body: string): string {
  const title = message(locale, titleKey);
  return page(locale, title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p>`);
}

function page(locale: Locale, title: string, body: string): string {
  return `<!doctype html><html lang="${LOCALES[locale].htmlLang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${CSS}</style></head><body><main>${body}</main></body></html>`;
}

