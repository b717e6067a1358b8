import { expect } from "chai";
import { schemeByKey } from "../../src/attestations/schemes";
import { formByKey } from "../../src/lots/forms";
import { districtFeatures } from "../../src/web/geo/districtMap";
import { originMapSvg } from "../../src/web/geo/originMap";
import { NAMES, pickLocale, type Locale } from "../../src/web/i18n";
import { escapeHtml, renderPassportPage, safeHref } from "../../src/web/passport/render";
import type { LotPassport, PassportAttestation, PassportMember } from "../../src/web/passport/types";

const ZERO32 = `0x${"00".repeat(32)}`;
const DEALER = "0x00000000000000000000000000000000000000d1";
const MILL = "0x00000000000000000000000000000000000000f2";

/**
 * A TSR 20 block made by a Thai block rubber factory from a buying station's cup lump, as the
 * twin says it: what the page shows is rendered from this alone.
 */
export function tsrPassport(
  overrides: { mill?: Partial<PassportMember>; attestations?: PassportAttestation[]; claims?: LotPassport["claims"]; areaM2?: number; quality?: number } = {},
): LotPassport {
  const tsr20 = formByKey("rubber-tsr20");
  const cupLump = formByKey("rubber-cup-lump");
  const event = (blockNumber: number, event: LotPassport["lots"][number]["events"][number]["event"]) => ({ event, txHash: ZERO32, blockNumber, logIndex: 0, blockTime: "2026-07-14T03:00:00.000Z", head: ZERO32 });
  const areaM2 = overrides.areaM2 ?? 16_000;
  return {
    format: "firstmile.passport.v1",
    chainId: "31337",
    contracts: { LotRegistry: DEALER, AttestationRegistry: null },
    lot: { lotId: "2", commodity: "rubber", form: { id: tsr20.id, key: tsr20.key, name: tsr20.name }, grams: "700000", quality: { bps: overrides.quality ?? 0, measure: "drc" }, status: "active", custodian: null },
    product: null,
    origin: { deliveries: 1, plots: 1, farmers: null, areaM2, unregistered: 0, districts: [{ country: "TH", province: "Songkhla", district: "Na Thawi", plots: 1, areaM2 }], firstDelivery: "2026-07-01T02:00:00.000Z", lastDelivery: "2026-07-01T02:00:00.000Z", grams: "1250000" },
    members: [
      { memberId: "1", name: "Na Thawi Rubber Buying Station", kind: "buying-station", region: "Na Thawi, Songkhla", roles: ["cooperative"], country: "TH" },
      { memberId: "2", name: "Songkhla Block Rubber Co., Ltd.", kind: "block-rubber-factory", region: "Khuan Lang, Hat Yai, Songkhla", roles: ["processor"], country: "TH", ...overrides.mill },
    ],
    accounts: { [DEALER]: "1", [MILL]: "2" },
    lots: [
      {
        lotId: "2",
        depth: 0,
        events: [event(9, { kind: "derived", lotId: "2", custodian: MILL, form: tsr20.id, grams: "700000", quality: overrides.quality ?? 0, metadata: ZERO32, ingredients: ZERO32, inputIds: ["1"], inputHeads: [ZERO32] })],
        ingredients: [],
      },
      {
        lotId: "1",
        depth: 1,
        ingredients: [],
        events: [
          event(3, { kind: "minted", lotId: "1", custodian: DEALER, form: cupLump.id, grams: "1250000", quality: 5_600, metadata: ZERO32, origin: ZERO32 }),
          event(4, { kind: "offered", lotId: "1", custodian: DEALER, receiver: MILL }),
          event(5, { kind: "accepted", lotId: "1", previousCustodian: DEALER, custodian: MILL, gramsSent: "1250000", gramsReceived: "1200000", quality: 5_830 }),
          event(9, { kind: "transformed", lotId: "1", firstOutputId: "2", outputCount: "1" }),
        ],
      },
    ],
    attestations: overrides.attestations ?? [],
    claims: overrides.claims ?? [],
    evidence: [],
    verification: { ok: true, block: { number: 10, time: "2026-07-14T03:00:00.000Z" }, checkedAt: "2026-07-14T03:00:01.000Z", lotsChecked: 2, attestationsChecked: 0, mismatches: [] },
  };
}

const render = (passport: LotPassport, locale: Locale) => renderPassportPage(passport, { locale, path: "/l/2", url: "http://gateway.example/l/2" });
/** The page's visible text, tags dropped (enough for the checks here). */
const textOf = (html: string) => html.replace(/<style>[^<]*<\/style>/, "").replace(/<[^>]*>/g, " ").replace(/\s+/g, " ");

function attestation(scheme: { id: number; name: string; version: string }, subjectKind: "lot" | "plot"): PassportAttestation {
  return {
    uid: `0x${String(scheme.id).repeat(64).slice(0, 64)}`,
    subjectKind,
    lotId: "1",
    scheme: { ...scheme, model: null },
    certifier: { memberId: "9", account: DEALER, name: "Asia Sustainable Agriculture Certification" },
    attestedAt: "2026-07-10T00:00:00.000Z",
    expiresAt: null,
    status: "valid",
    revocation: null,
    evidence: ZERO32,
    subject: ZERO32,
    dataHash: ZERO32,
  };
}

describe("lot page rendering (pure)", () => {
  it("picks the language from ?lang=, then Accept-Language by q, else English", () => {
    expect(pickLocale("vi", "th")).to.equal("vi");
    expect(pickLocale("xx", "th-TH,th;q=0.9")).to.equal("th");
    expect(pickLocale(undefined, "fr;q=1, id;q=0.8, en;q=0.5")).to.equal("id");
    expect(pickLocale(undefined, "en;q=0.2, vi;q=0.9")).to.equal("vi");
    expect(pickLocale(undefined, "in")).to.equal("id");
    expect(pickLocale(undefined, "de, fr")).to.equal("en");
    expect(pickLocale(["th"], undefined)).to.equal("en");
  });

  it("escapes text and refuses any href that is not one of our paths", () => {
    expect(escapeHtml(`"><img src=x onerror=alert(1)>`)).to.equal("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    expect(escapeHtml("' onmouseover='x' `")).to.equal("&#39; onmouseover=&#39;x&#39; &#96;");
    expect(safeHref("javascript:alert(1)")).to.equal("#");
    expect(safeHref("//evil.example/x")).to.equal("#");
    expect(safeHref("/ipfs/bafkreiabc")).to.equal("/ipfs/bafkreiabc");
    expect(safeHref("?lang=th")).to.equal("?lang=th");
    expect(safeHref(`/x" onclick="y`)).to.equal("#");
  });

  it("ships approximate outlines of the demo's districts and draws them inside their island and country (Natural Earth)", () => {
    const names = districtFeatures().map((f) => f.district);
    expect(names).to.include.members(["Parigi Moutong", "Poso", "Luwu Utara", "Kolaka Utara", "Hat Yai", "Sadao", "Na Thawi"]);
    const svg = originMapSvg({ districts: [{ country: "ID", district: "Kabupaten Poso" }, { country: "ID", district: "Parigi Moutong" }], escapedLabel: "map" })!;
    expect(svg).to.match(/^<svg [^>]*viewBox="0 0 640 \d+"/);
    expect(svg).to.include(">Poso</text>").and.include(">Parigi Moutong</text>");
    // The island's coastline and the country around it, the districts clipped to the land, and the small map of the whole country.
    const paths = svg.match(/<path /g) ?? [];
    expect(paths.length, "the home country, two districts, the country in the small map").to.be.at.least(4);
    expect(svg).to.match(/<clipPath id="fm\w+c"><use href="#fm\w+h"\/><\/clipPath>/);
    expect(svg).to.include('fill="#d9822b"');
    expect(svg, "the frame of the big map on the small one").to.include('stroke="#c0281c"');
    expect(svg.length, "small enough for the page budget").to.be.below(8_000);
    expect((svg.match(/ d="[^"]*"/g) ?? []).join(""), "integer moves only").not.to.match(/\./);
    expect(originMapSvg({ districts: [{ country: "ID", district: "Nowhere" }], escapedLabel: "map" })).to.equal(null);
    const thai = originMapSvg({ districts: [{ country: "TH", district: "Na Thawi" }], escapedLabel: "map" })!;
    expect(thai).to.include(">Na Thawi</text>");
  });

  it("says, in every language, that an EU due diligence statement was filed, and why a claim from the plots was lost", () => {
    const eudr = schemeByKey("no-forest-loss-since-2020");
    const passport = {
      ...tsrPassport(),
      statements: [{ lotId: "1", memberId: "1", referenceNumber: "25THSN<b>6LX" }],
      lostClaims: [{ scheme: { id: 1, name: eudr.name, model: "segregated" }, deliveriesWith: 1, deliveries: 2 }],
    };
    const expected: Record<Locale, [string, string]> = {
      en: ["EU due diligence statement filed: reference 25THSN&lt;b&gt;6LX", "only 1 of 2 deliveries"],
      id: ["Pernyataan uji tuntas UE telah diajukan: nomor referensi 25THSN&lt;b&gt;6LX", "hanya 1 dari 2 setoran"],
      th: ["ยื่นคำแถลงการตรวจสอบวิเคราะห์สถานะของสหภาพยุโรปแล้ว: เลขอ้างอิง 25THSN&lt;b&gt;6LX", "มีเพียง 1 จาก 2 การส่งมอบ"],
      vi: ["Đã nộp bản công bố thẩm định của EU: số tham chiếu 25THSN&lt;b&gt;6LX", "chỉ 1 trong 2 lần giao hàng"],
    };
    for (const [locale, [filed, lost]] of Object.entries(expected) as Array<[Locale, [string, string]]>) {
      const html = render(passport, locale);
      expect(html, locale).to.contain(filed);
      expect(html, locale).to.contain(lost);
      expect(html).to.not.contain("<b>6LX");
    }
    const plain = render(tsrPassport(), "en");
    expect(plain).to.not.contain("due diligence statement");
    expect(plain).to.not.contain("does not carry the claim");
  });

  it("shows the lot's measured quality (DRC, moisture) and the ingredients a maker declared, escaped", () => {
    const measured = tsrPassport({ quality: 9_950 });
    expect(render(measured, "en")).to.include("<dt>Dry rubber content (DRC)</dt><dd>99.5 %</dd>");
    expect(render(measured, "id")).to.include("<dt>Kadar karet kering (KKK)</dt>");
    expect(render(tsrPassport(), "en"), "not measured: not shown").not.to.include("Dry rubber content");
    const bar = tsrPassport();
    bar.lot.form = { id: 7, key: "chocolate", name: "chocolate" };
    bar.lot.quality = { bps: 0, measure: "moisture" };
    bar.lots[0]!.ingredients = [
      { outputForm: 7, grams: "295000", name: ZERO32, text: "cane sugar" },
      { outputForm: 7, grams: "5000", name: ZERO32, text: "<b>lecithin</b>" },
      { outputForm: 5, grams: "1000", name: ZERO32, text: "for another output form" },
    ];
    const html = render(bar, "en");
    expect(html).to.include("<dt>Declared ingredients (not traced, no claim)</dt><dd>cane sugar 295 kg, &lt;b&gt;lecithin&lt;/b&gt; 5 kg</dd>");
    expect(html).not.to.include("for another output form");
  });

  describe("names people read", () => {
    it("names the lot's form in the reader's language, block rubber by its national grade (STR 20 from a Thai factory)", () => {
      const passport = tsrPassport();
      expect(render(passport, "th")).to.include("<dd>ยางแท่ง STR 20</dd>");
      expect(render(passport, "id")).to.include("<dd>karet remah STR 20</dd>");
      expect(render(passport, "vi")).to.include("<dd>cao su khối STR 20</dd>");
      expect(render(passport, "en")).to.include(`<dd>${formByKey("rubber-tsr20").name} (STR 20)</dd>`);
      const malaysian = tsrPassport({ mill: { country: "MY" } });
      expect(render(malaysian, "en")).to.include("(SMR 20)</dd>");
    });

    it("shows a form a language has no name for by its catalogue name", () => {
      const passport = tsrPassport();
      passport.lot.form = { id: 77, key: "rubber-not-yet-named", name: "a form from a later catalogue" };
      expect(render(passport, "th")).to.include("<dd>a form from a later catalogue</dd>");
    });

    it("says what each member is (a buying station, not a cooperative, though it holds the minting role)", () => {
      const en = textOf(render(tsrPassport(), "en"));
      expect(en).to.include("1 deliveries to Na Thawi Rubber Buying Station (buying station)");
      expect(en).to.include("Processed by Songkhla Block Rubber Co., Ltd. (block rubber factory)");
      expect(en).not.to.include("(cooperative)");
      expect(textOf(render(tsrPassport(), "th"))).to.include("Na Thawi Rubber Buying Station (จุดรับซื้อ)");
      const noKind = tsrPassport({ mill: { kind: null } });
      expect(textOf(render(noKind, "en")), "without a kind, by its role").to.include("Songkhla Block Rubber Co., Ltd. (processor)");
    });

    it("gives areas in rai as well as hectares on Thai pages only (1 ha = 6.25 rai)", () => {
      const passport = tsrPassport({ areaM2: 32_000 }); // 3.2 ha = 20 rai
      const thai = textOf(render(passport, "th"));
      expect(thai).to.include("1 แปลง 3.2 เฮกตาร์ (20 ไร่)");
      expect(textOf(render(tsrPassport({ areaM2: 8_000 }), "th"))).to.include("0.8 เฮกตาร์ (5 ไร่)");
      for (const locale of ["en", "id", "vi"] as const) {
        const text = textOf(render(passport, locale));
        expect(text, locale).to.include(new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(3.2));
        expect(text, locale).not.to.match(/\b20\b.*rai|ไร่/);
      }
      expect(textOf(render(passport, "en"))).to.include("1 plots, 3.2 hectares");
    });

    it("words the plot claim as what the satellite check found, and names our schemes in the reader's language", () => {
      const noForestLoss = schemeByKey("no-forest-loss-since-2020");
      const premium = schemeByKey("fair-price-premium");
      const passport = tsrPassport({
        attestations: [attestation({ id: 1, name: noForestLoss.name, version: "1.0" }, "plot"), attestation({ id: 3, name: "Fairtrade-like premium eligible", version: "1.0" }, "lot")],
        claims: [{ scheme: { id: 3, name: premium.name, model: "massBalance" }, source: "carried", validUntil: null }],
      });
      const en = textOf(render(passport, "en"));
      expect(en).to.include("No forest loss detected since 31 Dec 2020 (satellite check) 1.0: all 1 origin plots");
      expect(en).to.include("Carries the claim: Fair-price premium eligible");
      expect(en).not.to.match(/fairtrade|rainforest|EUDR|deforestation-free/i);
      for (const locale of ["id", "th", "vi"] as const) {
        const text = textOf(render(passport, locale));
        expect(text, locale).to.include(NAMES[locale].schemes["no-forest-loss-since-2020"]);
        expect(text, locale).to.include(NAMES[locale].schemes["fair-price-premium"]);
        expect(text, locale).not.to.match(/fairtrade|satellite check/i);
      }
    });

    it("shows a real scheme a network registered by its own name, in every language", () => {
      const passport = tsrPassport({ attestations: [attestation({ id: 5, name: "Fairtrade Standard for Small-scale Producer Organizations", version: "2019" }, "lot")] });
      for (const locale of ["en", "th"] as const) {
        expect(textOf(render(passport, locale)), locale).to.include("Fairtrade Standard for Small-scale Producer Organizations 2019");
      }
    });
  });
});

