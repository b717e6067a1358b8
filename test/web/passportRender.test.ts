import { expect } from "chai";
import { districtMapSvg, districtFeatures } from "../../src/web/geo/districtMap";
import { pickLocale } from "../../src/web/i18n";
import { escapeHtml, safeHref } from "../../src/web/passport/render";

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

  it("ships approximate outlines of the demo's districts and highlights the origin's", () => {
    const names = districtFeatures().map((f) => f.district);
    expect(names).to.include.members(["Parigi Moutong", "Poso", "Luwu Utara", "Kolaka Utara", "Hat Yai", "Sadao", "Na Thawi"]);
    const svg = districtMapSvg([{ country: "ID", district: "Kabupaten Poso" }], "map")!;
    expect(svg).to.match(/^<svg [^>]*viewBox="0 0 320 \d+"/);
    expect(svg).to.include('fill="#e0a030"');
    expect(svg).to.include(">Poso</text>");
    expect(districtMapSvg([{ country: "ID", district: "Nowhere" }], "map")).to.equal(null);
  });
});
