import { expect } from "chai";
import { LOCALES, type Locale, type MessageKey } from "../../../src/web/i18n";
import { renderMessagePage, renderPassportPage } from "../../../src/web/passport/render";
import type { LotPassport } from "../../../src/web/passport/types";
import { cocoaPassport } from "../passportFixture";
import { premiumFiguresFixture } from "../../payments/premiumFixture";

const TRANSLATED = ["id", "th", "vi"] as const;

/** Messages that read the same in a language as in English, on purpose. */
const SAME_AS_ENGLISH: Readonly<Record<string, readonly MessageKey[]>> = {
  id: ["lotLabel", "storyPlaces", "fieldStatus", "evidenceOfLot", "schemeFairtrade"],
  th: ["storyPlaces"],
  vi: ["storyPlaces", "schemeFairtrade"],
};

/**
 * Words a page may carry in every language: the protocol's own names, units, and words Indonesian
 * shares with English ("total", "batch" as GS1 says it, the month abbreviations "Jun" and "Nov"),
 * ISO 4217 currency codes and the names Fairtrade and EUDR.
 */
const SHARED_WORDS = new Set(["idr", "thb", "vnd", "usd", "fairtrade", "eudr", "blockchain", "gtin", "json", "firstmile", "lot", "utc", "kg", "t", "g", "gs1", "1.0", "total", "jun", "nov", "gs", "batch"]);

/** Words of a language that happen to be English words too. */
const FALSE_FRIENDS: Readonly<Record<string, readonly string[]>> = { id: [], th: [], vi: ["do"] };

const render = (passport: LotPassport, locale: Locale) => renderPassportPage(passport, { locale, path: "/l/300", url: "http://gateway.example/l/300" });

/** The words a reader sees: no markup, no map, no command line, no hex. */
function wordsOf(html: string): Set<string> {
  const text = html
    .replace(/<style>.*?<\/style>/s, " ")
    .replace(/<nav.*?<\/nav>/s, " ") // each language named in itself
    .replace(/\{\w+\}/g, " ")
    .replace(/0x[0-9a-f]*/gi, " ")
    .replace(/<svg.*?<\/svg>/gs, " ")
    .replace(/<code[^>]*>.*?<\/code>/gs, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&#?\w+;/g, " ");
  return new Set(text.toLowerCase().split(/[^\p{L}\p{M}.]+/u).map((w) => w.replace(/^\.+|\.+$/g, "")).filter((w) => w.length > 0));
}

/** Names the data brings (members, places, product, schemes registered elsewhere): not the page's own words. */
function namesIn(passport: LotPassport): Set<string> {
  const names = [
    passport.product?.name ?? "",
    passport.product?.batch ?? "",
    ...passport.members.flatMap((m) => [m.name ?? "", m.region ?? ""]),
    ...passport.origin.districts.flatMap((d) => [d.district, d.province]),
    // A country's name may read the same (Indonesia, Malaysia).
    ...[...passport.members.map((m) => m.country), ...passport.origin.districts.map((d) => d.country)].map((code) => new Intl.DisplayNames(["en"], { type: "region" }).of(code) ?? code),
  ];
  return wordsOf(names.join(" "));
}

describe("no consumer-visible text falls back to English in Indonesian, Thai or Vietnamese", () => {
  it("translates every message (only a few read the same on purpose)", () => {
    for (const locale of TRANSLATED) {
      const same = (Object.keys(LOCALES.en) as MessageKey[]).filter((key) => key !== "htmlLang" && LOCALES[locale][key] === LOCALES.en[key] && !SAME_AS_ENGLISH[locale]!.includes(key));
      expect(same, `${locale} keeps these in English`).to.deep.equal([]);
    }
  });

  it("shows no English word of the English page on the chocolate, mismatch and could-not-check pages", () => {
    const ok = cocoaPassport();
    const bad = cocoaPassport();
    bad.verification.ok = false;
    bad.verification.mismatches = [
      { kind: "head", lotId: "200", computed: `0x${"ab".repeat(32)}`, chain: `0x${"cd".repeat(32)}`, what: "lot 200: the history head recomputed from the events shown is 0xab, the chain's is 0xcd" },
      { kind: "readModel", lotId: "300", field: "origin grams", shown: "1", events: "2", what: "lot 300: origin grams is stated as 1, its events say 2" },
      { kind: "events", lotId: "101", what: "lot 101: its events do not form a history: out of order" },
      { kind: "attestation", uid: `0x${"12".repeat(32)}`, shown: "valid", chainValid: false, problem: "status", what: "attestation 0x12 (lot 100) is shown as valid, the chain says it is not valid" },
      { kind: "attestation", uid: `0x${"34".repeat(32)}`, shown: "valid", chainValid: false, problem: "fields", what: "attestation 0x34: its fields as shown do not hash to its uid" },
      { kind: "evidence", digest: `0x${"56".repeat(32)}`, cid: null, what: "evidence: the bytes do not match" },
    ];
    const unknown = cocoaPassport();
    unknown.verification.ok = false;
    unknown.verification.mismatches = [{ kind: "chain", what: "the chain could not be asked: timeout" }];
    const paid = cocoaPassport();
    paid.premium = premiumFiguresFixture();
    const few = cocoaPassport();
    few.premium = { ...premiumFiguresFixture(), farmers: { count: null, fewerThan5: true }, womenShareBps: null, medianDaysToPayment: null };
    for (const passport of [ok, bad, unknown, paid, few]) {
      const names = namesIn(passport);
      const english = [...wordsOf(render(passport, "en"))].filter((w) => !names.has(w) && !SHARED_WORDS.has(w));
      for (const locale of TRANSLATED) {
        const words = wordsOf(render(passport, locale));
        expect(english.filter((w) => words.has(w) && !FALSE_FRIENDS[locale]!.includes(w)), locale).to.deep.equal([]);
      }
    }
  });

  it("says every error in the reader's language", () => {
    const bodies: MessageKey[] = ["notFoundLot", "badLotId", "badGtin", "badBatch", "unknownProduct", "badLink", "tooLarge", "errorBody", "rateLimited"];
    for (const locale of TRANSLATED) {
      for (const key of bodies) {
        const english = [...wordsOf(renderMessagePage("en", "notFoundTitle", LOCALES.en[key]))].filter((w) => !SHARED_WORDS.has(w) && !/^\{/.test(w));
        const words = wordsOf(renderMessagePage(locale, "notFoundTitle", LOCALES[locale][key]));
        expect(english.filter((w) => words.has(w)), `${locale} ${key}`).to.deep.equal([]);
      }
    }
  });
});
