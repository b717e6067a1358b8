import { expect } from "chai";
import { DEMO_SCHEMES } from "../../../src/attestations/schemes";
import { FORMS, formByKey } from "../../../src/lots/forms";
import { MEMBER_KINDS } from "../../../src/membership/kinds";
import { LOCALE_NAMES, NAMES, TSR_GRADES, formName, memberKindName, nationalTsrName, schemeName } from "../../../src/web/i18n";

/** The forms issue 24 adds to the catalogue, by the keys pages will look them up by. */
const UPCOMING_FORMS = [
  "cocoa-dry-beans-fermented",
  "cocoa-dry-beans-asalan",
  "cocoa-shells",
  "cocoa-cake",
  "cocoa-reject-beans",
  "rubber-skim-latex",
  "rubber-skim-rubber",
  "rubber-field-scrap",
  "rubber-rss-cuttings",
  "rubber-tsr10",
  "rubber-cv60",
  "rubber-compound",
];
const TRANSLATED = LOCALE_NAMES.filter((locale) => locale !== "en");

describe("names people read: forms, schemes and kinds of member in every language", () => {
  it("names every catalogue form, and every form the reworked catalogue adds, in Indonesian, Thai and Vietnamese", () => {
    for (const locale of TRANSLATED) {
      const missing = [...FORMS.map((form) => form.key), ...UPCOMING_FORMS].filter((key) => !NAMES[locale].forms[key]);
      expect(missing, `${locale} has no name for`).to.deep.equal([]);
    }
  });

  it("uses the words of the trade: biji asalan, lump/ojol and karet remah; ยางก้อนถ้วย and ยางแท่ง; mủ chén and cao su khối", () => {
    const wet = formByKey("cocoa-wet-beans");
    const cupLump = formByKey("rubber-cup-lump");
    expect(formName("id", { id: wet.id, key: wet.key, name: wet.name })).to.equal("biji kakao basah");
    expect(formName("id", { id: 0, key: "cocoa-dry-beans-fermented", name: null })).to.equal("biji kakao kering fermentasi");
    expect(formName("id", { id: 0, key: "cocoa-dry-beans-asalan", name: null })).to.include("asalan");
    expect(formName("id", { id: cupLump.id, key: cupLump.key, name: cupLump.name })).to.include("ojol");
    expect(formName("th", { id: cupLump.id, key: cupLump.key, name: cupLump.name })).to.equal("ยางก้อนถ้วย");
    expect(formName("th", { id: 20, key: "rubber-field-latex", name: "rubber field latex" })).to.equal("น้ำยางสด");
    expect(formName("th", { id: 23, key: "rubber-rss", name: "ribbed smoked sheet" })).to.equal("ยางแผ่นรมควัน");
    expect(formName("vi", { id: cupLump.id, key: cupLump.key, name: cupLump.name })).to.equal("mủ chén");
  });

  it("labels block rubber with the national grade of the country it was made in, and the ISO name elsewhere", () => {
    const tsr20 = formByKey("rubber-tsr20");
    const form = { id: tsr20.id, key: tsr20.key, name: tsr20.name };
    expect(formName("th", form, "TH")).to.equal("ยางแท่ง STR 20");
    expect(formName("id", form, "ID")).to.equal("karet remah SIR 20");
    expect(formName("id", form, "TH"), "made in Thailand, read in Indonesian").to.equal("karet remah STR 20");
    expect(formName("vi", form, "VN")).to.equal("cao su khối SVR 20");
    expect(formName("vi", form, null)).to.equal("cao su khối TSR 20");
    expect(formName("en", form, "MY"), "English: the catalogue name with the national name as a label").to.equal(`${tsr20.name} (SMR 20)`);
    expect(formName("en", form, "NL")).to.equal(tsr20.name);
    expect(nationalTsrName("rubber-tsr10", "id")).to.equal("SIR 10");
    expect(nationalTsrName("rubber-cv60", "MY")).to.equal("SMR CV60");
    expect(nationalTsrName("rubber-cv60", "TH"), "no STR CV60 grade").to.equal(null);
    expect(nationalTsrName("rubber-cup-lump", "TH")).to.equal(null);
    // Only block-rubber forms have a grade to fill in.
    for (const locale of TRANSLATED) {
      for (const [key, name] of Object.entries(NAMES[locale].forms)) {
        if (name.includes("{grade}")) expect(TSR_GRADES, `${locale} ${key}`).to.have.property(key);
      }
    }
  });

  it("falls back to the catalogue's English name when a language has no name for a form, and to `form N` without one", () => {
    const key = "rubber-some-future-form";
    for (const locale of LOCALE_NAMES) expect(NAMES[locale].forms).not.to.have.property(key);
    expect(formName("th", { id: 99, key, name: "some future form" })).to.equal("some future form");
    expect(formName("vi", { id: 99, key: null, name: null })).to.equal("form 99");
    // English pages use the catalogue's own names.
    for (const form of FORMS) expect(formName("en", { id: form.id, key: form.key, name: form.name })).to.equal(form.name);
    // A name inherited from Object.prototype is no translation.
    expect(formName("id", { id: 98, key: "constructor", name: "odd key" })).to.equal("odd key");
  });

  it("names our schemes for what was checked, in every language, and never after a certification trademark", () => {
    const eudr = DEMO_SCHEMES.find((s) => s.key === "no-forest-loss-since-2020")!;
    expect(eudr.name).to.equal("No forest loss detected since 31 Dec 2020 (satellite check)");
    for (const scheme of DEMO_SCHEMES) {
      expect(scheme.name).not.to.match(/fairtrade|rainforest|utz|eudr|deforestation-free/i);
      for (const locale of LOCALE_NAMES) {
        const name = schemeName(locale, { id: 1, name: scheme.name });
        expect(name, `${locale} ${scheme.key}`).not.to.match(/fairtrade|rainforest|eudr/i);
        if (locale !== "en") expect(NAMES[locale].schemes, locale).to.have.property(scheme.key);
      }
    }
    expect(schemeName("en", { id: 3, name: "Fair-price premium eligible" })).to.equal("Fair-price premium eligible");
    expect(schemeName("id", { id: 1, name: eudr.name })).to.equal("Tidak terdeteksi kehilangan hutan sejak 31 Des 2020 (pemeriksaan citra satelit)");
    expect(schemeName("th", { id: 1, name: eudr.name })).to.match(/^ไม่พบการสูญเสียพื้นที่ป่าตั้งแต่ 31 ธ\.ค\. 2563/);
    expect(schemeName("vi", { id: 1, name: eudr.name })).to.match(/^Không phát hiện mất rừng kể từ 31\/12\/2020/);
  });

  it("shows a chain's schemes registered under their former names by today's names", () => {
    expect(schemeName("en", { id: 3, name: "Fairtrade-like premium eligible" })).to.equal("Fair-price premium eligible");
    expect(schemeName("en", { id: 1, name: "EUDR deforestation-free (cut-off 2020-12-31)" })).to.equal("No forest loss detected since 31 Dec 2020 (satellite check)");
    expect(schemeName("th", { id: 2, name: "Rainforest-Alliance-like certified farm" })).to.equal(NAMES.th.schemes["certified-farm"]);
  });

  it("keeps a real scheme's registered name in every language (the real name only where governors registered a real scheme)", () => {
    for (const locale of LOCALE_NAMES) {
      expect(schemeName(locale, { id: 7, name: "Fairtrade Cocoa Standard" })).to.equal("Fairtrade Cocoa Standard");
      expect(schemeName(locale, { id: 8, name: null })).to.equal("#8");
    }
  });

  it("names every kind of member in every language", () => {
    for (const locale of LOCALE_NAMES) {
      for (const kind of MEMBER_KINDS) expect(memberKindName(locale, kind), `${locale} ${kind}`).to.be.a("string").and.not.equal("");
    }
    expect(memberKindName("th", "buying-station")).to.equal("จุดรับซื้อ");
    expect(memberKindName("id", "buying-station")).to.equal("pedagang pengumpul");
    expect(memberKindName("en", "buying-station")).to.equal("buying station");
  });
});
