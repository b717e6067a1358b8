import { expect } from "chai";
import { LOCALES, message, type Locale } from "../../src/web/i18n";
import { claimLines } from "../../src/web/passport/claimLines";
import { premiumSlot, renderPassportPage } from "../../src/web/passport/render";
import { gtinProblem } from "../../src/web/passport/router";
import type { LotPassport } from "../../src/web/passport/types";
import { cocoaPassport } from "./passportFixture";

const render = (passport: LotPassport, locale: Locale = "en") => renderPassportPage(passport, { locale, path: "/l/300", url: "http://gateway.example/l/300" });
const textOf = (html: string) => html.replace(/<style>[^<]*<\/style>/, "").replace(/<svg.*?<\/svg>/gs, " ").replace(/<[^>]*>/g, " ").replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code))).replace(/&amp;/g, "&").replace(/\s+/g, " ");
/** The page with every part a reader has to open (and the verify command) left out. */
const closed = (html: string) => html.replace(/<details.*?<\/details>/gs, "").replace(/<code lang="en">.*?<\/code>/g, "");

describe("the lot page's first screen (pure)", () => {
  it("says what the product is, where it was grown and by how many farms, then the badge, then one line per claim", () => {
    const html = render(cocoaPassport({ deliveries: 6, revoked: 1 }));
    const order = ['<h1 id="product">Sulawesi 70% dark chocolate, 100 g</h1>', 'id="story"', 'id="verification"', 'id="claims"', 'id="origin"', 'id="custody"'].map((marker) => html.indexOf(marker));
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!)), order.join(",")).to.equal(true);
    const text = textOf(html);
    expect(text).to.include("Cocoa grown by 6 farmers on 6 farms in Parigi Moutong (Sulawesi Tengah) and Luwu Utara (Sulawesi Selatan), Indonesia.");
    expect(text).to.include("✓ Verified against the blockchain Checked at block 1324 (Nov 20, 2026, 9:30 AM UTC).");
    expect(text).to.include("No forest loss detected since 31 Dec 2020 (satellite check) 1.0: all 6 origin plots");
    expect(text).to.include("Fair-price premium eligible 1.0: 5 of 6 deliveries, 1 revoked");
    expect(html, "each claim line opens without a script").to.match(/<ul class="cl"><li><details><summary>/);
    expect(html).not.to.match(/<script/i);
  });

  it("counts farmers only from 5 households up (below that, the farms alone), in every language", () => {
    const few = cocoaPassport({ deliveries: 4, revoked: 0 });
    expect(few.origin.farmers).to.equal(null);
    const text = textOf(render(few));
    expect(text).to.include("Cocoa grown on 4 farms in");
    expect(text).not.to.match(/\d farmers/);
    expect(textOf(render(few, "id"))).not.to.include("petani di 4");
    const many = cocoaPassport({ deliveries: 6 });
    many.origin.farmers = 5;
    expect(textOf(render(many))).to.include("Cocoa grown by 5 farmers on 6 farms in");
    expect(textOf(render(many, "id"))).to.include("Kakao ditanam oleh 5 petani di 6 kebun di");
    expect(textOf(render(many, "th"))).to.include("ปลูกโดยเกษตรกร 5 ราย ใน 6 แปลง");
    expect(textOf(render(many, "vi"))).to.include("do 5 nông dân trồng trên 6 thửa đất");
  });

  it("counts a plot attested twice once, by its best status, and says how many of the deliveries a claim covers", () => {
    const passport = cocoaPassport({ deliveries: 4, revoked: 0 });
    const plot = passport.attestations.find((a) => a.subjectKind === "plot")!;
    passport.attestations.push({ ...plot, uid: `0x${"e".repeat(64)}`, status: "revoked", revocation: { reason: 1, at: null } });
    passport.attestations = passport.attestations.filter((a) => a.subjectKind === "plot" || a.lotId !== "103");
    const lines = claimLines(passport);
    expect(lines.map((l) => [l.subject, l.valid, l.revoked, l.total])).to.deep.equal([
      ["plots", 4, 0, 4],
      ["deliveries", 3, 0, 4],
    ]);
    expect(lines[0]!.attestations[0]!.status, "not valid ones first").to.equal("revoked");
    const text = textOf(render(passport));
    expect(text).to.include(": all 4 origin plots");
    expect(text).to.include("Fair-price premium eligible 1.0: 3 of 4 deliveries");
  });

  it("shows raw uids and hashes only in the parts a reader opens", () => {
    const html = render(cocoaPassport());
    expect(html).to.match(/0x[0-9a-f]{64}/);
    expect(closed(html)).not.to.match(/0x[0-9a-f]{16}/);
    expect(closed(html)).not.to.match(/bafk/);
  });

  it("gives a date range only when the days differ", () => {
    const passport = cocoaPassport();
    expect(textOf(render(passport))).to.include("Delivered between Jun 8, 2026 and Jun 9, 2026");
    passport.origin.lastDelivery = passport.origin.firstDelivery;
    const text = textOf(render(passport));
    expect(text).to.include("Delivered on Jun 8, 2026");
    expect(text).not.to.match(/between (\w+ \d+, \d+) and \1/);
  });

  it("tells custody as a short path with places and dates, every step one tap away", () => {
    const html = render(cocoaPassport());
    const path = textOf(html.match(/<ol class="path">.*?<\/ol>/s)![0]);
    const stages = ["6 farms Parigi Moutong and Luwu Utara", "Koperasi Tani Kakao Tinombo Lestari (cooperative) Tinombo, Parigi Moutong, Sulawesi Tengah, Indonesia · Jun 8, 2026 – Jun 9, 2026", "PT Celebes Cocoa Export (exporter) Makassar, Sulawesi Selatan, Indonesia · Jun 12, 2026", "Zaanstreek Chocolate Company B.V. (chocolate maker) Zaandam, Noord-Holland, Netherlands · Jun 20, 2026"];
    let from = 0;
    for (const stage of stages) {
      const at = path.indexOf(stage, from);
      expect(at, `${stage}\n in ${path}`).to.be.at.least(from);
      from = at + stage.length;
    }
    const steps = html.match(/<details id="custody-steps"><summary>All 5 steps, with weights<\/summary><ol>(.*?)<\/ol>/s);
    expect(steps, "the full step list behind a tap").to.not.equal(null);
    expect(textOf(steps![1]!)).to.include("Handed over from PT Celebes Cocoa Export (exporter) to Zaanstreek Chocolate Company B.V. (chocolate maker)");
  });

  it("keeps a slot for the farmer premium that shows nothing until payments give it a figure", () => {
    const passport = cocoaPassport();
    expect(premiumSlot(passport)).to.equal("");
    expect(render(passport)).not.to.match(/premium-slot|farmer premium/i);
  });

  it("turns the badge red with a line per difference, or amber when the chain could not be asked, in the reader's language", () => {
    const bad = cocoaPassport();
    bad.verification.ok = false;
    bad.verification.mismatches = [
      { kind: "head", lotId: "200", computed: `0x${"ab".repeat(32)}`, chain: `0x${"cd".repeat(32)}`, what: `lot 200: the history head recomputed from the events shown is 0x${"ab".repeat(32)}, the chain's is 0x${"cd".repeat(32)}` },
      { kind: "readModel", lotId: "300", field: "grams", shown: "300001", events: "300000", what: "lot 300: the gateway's lots table says grams 300001, its events say 300000" },
    ];
    const en = render(bad);
    expect(en).to.include('<section class="v bad" id="verification" role="alert"><p><b>&#10007; Does NOT match the blockchain</b>');
    expect(textOf(en)).to.include("lot 300: the gateway's lots table says grams 300001, its events say 300000");
    expect(en).not.to.include("&#10003; Verified");
    const thai = textOf(render(bad, "th"));
    expect(thai).to.include(LOCALES.th.verifiedBad);
    expect(thai).to.include(message("th", "mmRecords", { lotId: "300", field: LOCALES.th.fieldGrams, shown: "300001", events: "300000" }));
    expect(thai).to.include(message("th", "mmHead", { lotId: "200" }));
    expect(thai).not.to.match(/history head|lots table/);

    const unknown = cocoaPassport();
    unknown.verification.ok = false;
    unknown.verification.mismatches = [{ kind: "chain", what: "the chain could not be asked: connect ECONNREFUSED" }];
    const amber = render(unknown, "vi");
    expect(amber).to.include('class="v unk"');
    expect(textOf(amber)).to.include(LOCALES.vi.verifiedUnknown);
    expect(amber).not.to.include("ECONNREFUSED");
  });

  it("marks every language link with its own language, and the page with the reader's", () => {
    for (const locale of ["en", "id", "th", "vi"] as const) {
      const html = render(cocoaPassport(), locale);
      expect(html).to.match(new RegExp(`^<!doctype html><html lang="${LOCALES[locale].htmlLang}">`));
      for (const other of ["en", "id", "th", "vi"] as const) {
        expect(html, `${locale}: ${other}`).to.match(new RegExp(`<(a|b)[^>]* lang="${other}">${LOCALES[other].languageName}</`));
      }
    }
  });

  it("says why a GTIN is refused in the reader's language", () => {
    expect(gtinProblem("en", "08712345600128")).to.equal("check digit 8 is wrong: expected 9");
    expect(gtinProblem("th", "08712345600128")).to.equal("เลขตรวจสอบ 8 ไม่ถูกต้อง: ควรเป็น 9");
    expect(gtinProblem("vi", "12ab")).to.equal(LOCALES.vi.gtinDigitsOnly);
    expect(gtinProblem("id", "123")).to.equal("GTIN terdiri dari 8, 12, 13 atau 14 angka, bukan 3");
    expect(gtinProblem("en", "08712345600129")).to.equal(null);
  });
});
