import fs from "node:fs";
import { Writable } from "node:stream";
import { expect } from "chai";
import { Command } from "commander";
import { registerVerifyCommand } from "../../src/cli/commands/verify";
import { seedDemo, type DemoRecord } from "../../src/demo/seedDemo";
import { COCOA_COOPERATIVES, cocoaDeliveries, rubberDeliveries, DEMO_MEMBERS } from "../../src/demo/story";
import { sendControlCommand } from "../../src/gateway/controlSocket";
import { cidToDigest } from "../../src/evidence";
import { plotAreaM2 } from "../../src/origins";
import { LOCALES, NAMES } from "../../src/web/i18n";
import type { LotPassport } from "../../src/web/passport/types";
import { copySeededDemo } from "../helpers/demoTemplate";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { client, startTestGateway, type TestGateway } from "../gateway/helpers";
import { decodeQr, fullPageSize, horizontalOverflows, launchBrowser, openAllDetails, PHONE_VIEWPORT, scrollWidth, seriousAxeViolations, type OpenedPage, type OpenOptions, type TestBrowser } from "./browser";

/**
 * The story as the consumer lives it: the demo is seeded through a real gateway (anvil, PGlite,
 * relay, indexer), then Chromium opens the chocolate bar's page at a cheap phone's width, as if
 * its QR code had been scanned. What the page shows is checked against the story (not against
 * the gateway's own JSON), and the page must notice when the gateway's SQL is tampered with.
 */
describe("the consumer's page in a real browser (demo story, Chromium at 360 px)", function () {
  let dir: string;
  let running: TestGateway;
  let browser: TestBrowser;
  let demo: DemoRecord;
  const figures: Record<string, string> = {};
  const name = (key: (typeof DEMO_MEMBERS)[number]["key"]) => DEMO_MEMBERS.find((m) => m.key === key)!.document.name;

  before(async function () {
    this.timeout(240_000);
    const started = Date.now();
    dir = makeTempDir("e2e-consumer");
    // The run's seeded demo (test/helpers/demoTemplate.ts, shared with the demo's own suite), copied.
    [running, browser] = await Promise.all([copySeededDemo(dir).then(() => startTestGateway(dir)), launchBrowser()]);
    // As `firstmile start` does once the gateway runs: the demo is there, its URLs follow this gateway.
    expect((await seedDemo({ gateway: running.gateway, file: running.config.paths.demoRecord })).seeded).to.equal(false);
    demo = JSON.parse(fs.readFileSync(running.config.paths.demoRecord, "utf8")) as DemoRecord;
    figures["seeded demo (copied, or seeded first) + gateway start"] = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  });
  after(async function () {
    await browser?.close();
    await running?.gateway.stop();
    removeTempDir(dir);
    if (Object.keys(figures).length > 0) console.log(`      figures: ${Object.entries(figures).map(([k, v]) => `${k} ${v}`).join("; ")}`);
  });

  /** Opens `url` on the phone, runs `check` on it, and always closes it. */
  async function onPhone<T>(url: string, check: (opened: OpenedPage) => Promise<T>, options: OpenOptions = {}): Promise<T> {
    const opened = await browser.open(url, { viewport: PHONE_VIEWPORT, ...options });
    try {
      return await check(opened);
    } finally {
      await opened.close();
    }
  }
  const text = (opened: OpenedPage) => opened.page.innerText("body");

  describe("the chocolate bar (GS1 Digital Link from its QR code)", function () {
    it("writes demo.json with the chocolate and tyre page URLs under the gateway", function () {
      expect(demo.chocolate_page_url).to.equal(`${running.gateway.publicUrl}/01/${demo.products.chocolate.gtin}/10/${demo.products.chocolate.batch}`);
      expect(demo.tyre_page_url).to.equal(`${running.gateway.publicUrl}/01/${demo.products.tyre.gtin}/10/${demo.products.tyre.batch}`);
    });

    it("shows the origin in Sulawesi by district, plot count and area, and never a farmer or a plot's location", async function () {
      const deliveries = cocoaDeliveries();
      const hectares = deliveries.reduce((sum, d) => sum + plotAreaM2(d.geometry), 0) / 10_000;
      await onPhone(demo.chocolate_page_url, async (opened) => {
        expect(opened.status).to.equal(200);
        const body = await text(opened);
        expect(body).to.include(demo.products.chocolate.name);
        expect(body).to.include("40 farm deliveries");
        expect(body).to.include(`40 plots, ${new Intl.NumberFormat("en", { maximumFractionDigits: 1 }).format(hectares)} hectares`);
        for (const district of ["Parigi Moutong, Sulawesi Tengah, Indonesia", "Poso, Sulawesi Tengah, Indonesia", "Luwu Utara, Sulawesi Selatan, Indonesia"]) expect(body).to.include(district);
        expect(await opened.page.locator("#story").innerText()).to.equal(`Cocoa grown by 40 farmers on 40 farms in Parigi Moutong and Poso (Sulawesi Tengah) and Luwu Utara (Sulawesi Selatan), Indonesia.`);
        expect(await opened.page.locator("figure svg").count(), "the origin districts as an inline SVG map").to.equal(1);
        expect(await opened.page.locator("figure svg text").evaluateAll((texts) => texts.map((t) => t.textContent))).to.include.members(["Parigi Moutong", "Poso", "Luwu Utara"]);

        const html = await opened.page.content();
        for (const delivery of deliveries) {
          expect(html).not.to.include(delivery.farmerRef);
          const [lon, lat] = firstVertex(delivery.geometry);
          expect(html).not.to.include(lon.toFixed(3));
          expect(html).not.to.include(lat.toFixed(3));
        }
      });
    });

    it("shows the custody path: the cooperatives, exporter, grinder, chocolate maker, in that order", async function () {
      const deliveries = cocoaDeliveries();
      await onPhone(demo.chocolate_page_url, async (opened) => {
        // The short path first: farms, the three cooperatives, exporter, grinder, chocolate maker, with places.
        const stages = await opened.page.locator("ol.path > li").allInnerTexts();
        expect(stages, stages.join("\n")).to.have.length(5);
        expect(stages[0]).to.match(/^40 farms\nParigi Moutong, Poso, and Luwu Utara$/);
        for (const cooperative of COCOA_COOPERATIVES) expect(stages[1]).to.include(name(cooperative.key));
        expect(stages[2]).to.match(new RegExp(`^${escapeRegExp(name("exporter"))} \\(exporter\\)\nMakassar, Sulawesi Selatan, Indonesia · `));
        expect(stages[3]).to.match(new RegExp(`^${escapeRegExp(name("grinder"))} \\(cocoa grinder\\)\nPasir Gudang, Johor, Malaysia · `));
        expect(stages[4]).to.match(new RegExp(`^${escapeRegExp(name("brand"))} \\(chocolate maker\\)\nZaandam, Noord-Holland, Netherlands · `));
        // Every step one tap away.
        await opened.page.click("#custody-steps > summary");
        const steps = await opened.page.locator("#custody-steps > ol > li").allInnerTexts();
        const at = (pattern: string) => steps.findIndex((step) => step.includes(pattern));
        for (const cooperative of COCOA_COOPERATIVES) {
          const count = deliveries.filter((d) => d.cooperative === cooperative.key).length;
          const delivered = at(`${count} deliveries to ${name(cooperative.key)} (cooperative)`);
          const toExporter = at(`Handed over from ${name(cooperative.key)} (cooperative) to ${name("exporter")} (exporter)`);
          expect(delivered, steps.join("\n")).to.be.at.least(0);
          expect(toExporter, steps.join("\n")).to.be.greaterThan(delivered);
        }
        const toExporter = Math.max(...COCOA_COOPERATIVES.map((cooperative) => at(`Handed over from ${name(cooperative.key)}`)));
        const toGrinder = at(`Handed over from ${name("exporter")} (exporter) to ${name("grinder")} (cocoa grinder)`);
        const toBrand = at(`Handed over from ${name("grinder")} (cocoa grinder) to ${name("brand")} (chocolate maker)`);
        expect([toExporter, toGrinder, toBrand], steps.join("\n")).to.satisfy((order: number[]) => order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!)));
        expect(steps.some((step) => step.startsWith(`Processed by ${name("brand")}`)), "the chocolate maker's conching").to.equal(true);
        expect(steps.length).to.be.at.least(10);
      });
    });

    it("shows each attestation's status with its certifier and scheme: a summary per scheme, revoked ones first, plots' forest-loss attestations", async function () {
      const twin = (await (await fetch(`${demo.chocolate_page_url}?format=json`)).json()) as LotPassport;
      const status = new Map(twin.attestations.map((a) => [a.uid, a.status]));
      expect(demo.attestations!.revoked.map((uid) => status.get(uid)), "the seed's revocation").to.deep.equal(["revoked"]);
      const premium = twin.attestations.filter((a) => a.certifier.memberId === demo.members.certifier && a.status === "valid" && a.subjectKind === "lot");
      const plotSubjects = new Set(twin.attestations.filter((a) => a.subjectKind === "plot").map((a) => a.subject));
      expect(plotSubjects.size, "attestations about the deliveries' origin plots").to.be.greaterThan(0);
      expect(twin.verification.ok).to.equal(true);
      await onPhone(demo.chocolate_page_url, async (opened) => {
        const lines = await opened.page.locator(".cl > li > details > summary").allInnerTexts();
        expect(lines).to.deep.equal([
          `✓ No forest loss detected since 31 Dec 2020 (satellite check) 1.0: all ${plotSubjects.size} origin plots`,
          `! Fair-price premium eligible 1.0: ${premium.length} of ${premium.length + 1} deliveries, 1 revoked`,
        ]);
        await openAllDetails(opened.page);
        const text = await opened.page.locator("main").innerText();
        // Schemes named for what was checked, never after a certification trademark.
        expect(text).to.include("No forest loss detected since 31 Dec 2020 (satellite check)");
        expect(text).to.include("Fair-price premium eligible");
        expect(text).not.to.match(/fairtrade|rainforest|EUDR|deforestation-free/i);
        expect(text).to.include(`Certified by ${name("certifier")} (certification body).`);
        expect(text).to.include(`Certified by ${name("forestMonitor")} (forest monitor (satellite)).`);
        const revokedLine = opened.page.locator(".cl details li", { has: opened.page.locator(".st-revoked") }).filter({ hasText: demo.attestations!.revoked[0]! });
        expect(await revokedLine.count(), "the seed's revoked attestation is listed, before valid ones").to.equal(1);
        const valid = await opened.page.locator(".cl details li", { has: opened.page.locator(".st-valid") }).allInnerTexts();
        expect(valid.length).to.be.within(1, 12);
        expect(valid.find((line) => line.startsWith("valid — by"))).to.match(new RegExp(`^valid — by ${escapeRegExp(name("certifier"))} · until `));
        expect(text).to.match(/and \d+ more valid attestations/);
      });

      // The certifier withdraws the first listed delivery's premium eligibility, through the API as any client would.
      const answer = await sendControlCommand(running.gateway.controlSocket!, "POST", `/members/${demo.members.certifier}/tokens`, { label: "e2e" });
      const certifier = client(running.gateway.url, (answer!.body as { token: string }).token);
      const withdrawn = premium[0]!;
      const revoked = await certifier.settle((await certifier.post(`/v1/attestations/${withdrawn.uid}/revoke`, { reason: 2 }, { "idempotency-key": "e2e-revoke-premium" })).body.id);
      expect(revoked.final.status).to.equal("mined");
      await running.gateway.indexer.waitForBlock(Number(revoked.final.transaction.blockNumber));

      await onPhone(demo.chocolate_page_url, async (opened) => {
        expect(await opened.page.locator(".cl > li > details > summary").allInnerTexts()).to.include(`! Fair-price premium eligible 1.0: ${premium.length - 1} of ${premium.length + 1} deliveries, 2 revoked`);
        await openAllDetails(opened.page);
        const line = opened.page.locator(".cl details li", { has: opened.page.locator(".st-revoked") }).filter({ hasText: withdrawn.uid });
        expect(await line.count()).to.equal(1);
        expect(await line.innerText()).to.match(new RegExp(`^revoked \\(reason code 2\\) — by ${escapeRegExp(name("certifier"))} · `));
        expect(await opened.page.locator(".st-valid").count()).to.be.at.least(1);
        expect(await opened.page.getAttribute("#verification", "class"), "the revocation is on chain too: still verified").to.equal("v ok");
      });
    });

    it("says it was verified against the chain, with the block of the check", async function () {
      await onPhone(demo.chocolate_page_url, async (opened) => {
        const banner = opened.page.locator("#verification");
        expect(await banner.getAttribute("class")).to.equal("v ok");
        const said = await banner.innerText();
        expect(said).to.match(/^✓ Verified against the blockchain/);
        expect(said).to.match(/Checked at block \d+/);
      });
    });

    it("switches to Thai and to Vietnamese by the page's own links", async function () {
      await onPhone(demo.chocolate_page_url, async (opened) => {
        const { page } = opened;
        expect(await page.getAttribute("html", "lang")).to.equal("en");
        await Promise.all([page.waitForURL(/\?lang=th$/), page.click('nav a[hreflang="th"]')]);
        expect(await page.getAttribute("html", "lang")).to.equal("th");
        expect(await page.innerText("h1")).to.equal(demo.products.chocolate.name);
        expect(await page.innerText("#story")).to.match(new RegExp(`^${LOCALES.th.commodityCocoa}.*อินโดนีเซีย$`));
        // Real Thai glyphs: the story is drawn with a Thai font the page names, not boxes.
        const cdp = await opened.context.newCDPSession(page);
        const { root } = await cdp.send("DOM.getDocument");
        const { nodeId } = await cdp.send("DOM.querySelector", { nodeId: root.nodeId, selector: "#story" });
        await cdp.send("CSS.enable");
        const { fonts } = await cdp.send("CSS.getPlatformFontsForNode", { nodeId });
        expect(fonts.map((f) => f.familyName).join(", ")).to.match(/Noto Sans Thai|Loma|Garuda|Waree|Sarabun|Tlwg|Kinnari|Norasi|Umpush|Sawasdee|Purisa/);
        expect(await page.innerText("#verification")).to.include(LOCALES.th.verifiedOk);
        expect(await page.innerText("body")).to.include(demo.products.chocolate.name);
        await Promise.all([page.waitForURL(/\?lang=vi$/), page.click('nav a[hreflang="vi"]')]);
        expect(await page.getAttribute("html", "lang")).to.equal("vi");
        expect(await page.innerText("#story")).to.match(new RegExp(`^${LOCALES.vi.commodityCocoa} do 40 nông dân trồng trên 40 thửa đất`));
        expect(await page.innerText("#verification")).to.include(LOCALES.vi.verifiedOk);
      });
    });

    it("answers in the phone's language from Accept-Language", async function () {
      await onPhone(
        demo.chocolate_page_url,
        async (opened) => {
          expect(await opened.page.getAttribute("html", "lang")).to.equal("id");
          expect(await opened.page.innerText("#verification")).to.include(LOCALES.id.verifiedOk);
        },
        { locale: "id-ID" },
      );
    });

    it("sends the page in under 30 KB of HTML", async function () {
      await onPhone(demo.chocolate_page_url, async (opened) => {
        expect(opened.transferBytes).to.be.below(30 * 1024);
        figures["chocolate page HTML"] = `${opened.transferBytes} B`;
      });
    });

    it("fits a 360 px phone screen without sideways scrolling (and so does the tyre's page)", async function () {
      await onPhone(demo.tyre_page_url, async (opened) => {
        expect(await scrollWidth(opened.page)).to.be.at.most(PHONE_VIEWPORT.width);
      });
      await onPhone(demo.chocolate_page_url, async (opened) => {
        expect(await scrollWidth(opened.page)).to.be.at.most(PHONE_VIEWPORT.width);
        // The whole page as a full-page screenshot would frame it: one screen wide, several tall.
        const size = await fullPageSize(opened.page);
        expect(size.width).to.equal(PHONE_VIEWPORT.width);
        expect(size.height).to.be.greaterThan(PHONE_VIEWPORT.height);
        figures["360 px page"] = `${size.width}x${size.height} px`;
      });
    });

    it("has a QR code that decodes to the page's URL", async function () {
      const response = await fetch(`${demo.chocolate_page_url}/qr.png`);
      expect(response.status).to.equal(200);
      expect(response.headers.get("content-type")).to.equal("image/png");
      expect(decodeQr(Buffer.from(await response.arrayBuffer()))).to.equal(demo.chocolate_page_url);
    });
  });

  describe("the tyre batch", function () {
    it("shows its origin in Songkhla, the block mill and the tyre maker, verified", async function () {
      const deliveries = rubberDeliveries();
      await onPhone(demo.tyre_page_url, async (opened) => {
        expect(opened.status).to.equal(200);
        await openAllDetails(opened.page);
        const body = await text(opened);
        expect(body).to.include(demo.products.tyre.name);
        expect(body).to.include(`${deliveries.length} farm deliveries`);
        expect(await opened.page.innerText("#story")).to.equal(`Natural rubber grown by ${deliveries.length} farmers on ${deliveries.length} farms in Hat Yai, Sadao, and Na Thawi (Songkhla), Thailand.`);
        for (const district of ["Hat Yai, Songkhla, Thailand", "Sadao, Songkhla, Thailand", "Na Thawi, Songkhla, Thailand"]) expect(body).to.include(district);
        expect(body).to.include(`Handed over from ${name("buyingStation")} (buying station) to ${name("blockMill")} (block rubber factory)`);
        expect(body).to.include(`${name("tyreMaker")} (tyre maker)`);
        expect(body, "STR 20 from a Thai factory").to.match(/TSR 20 block \(STR 20\)/);
        expect(await opened.page.getAttribute("#verification", "class")).to.equal("v ok");
        expect(opened.transferBytes).to.be.below(30 * 1024);
        figures["tyre page HTML"] = `${opened.transferBytes} B`;
        const html = await opened.page.content();
        for (const delivery of deliveries) expect(html).not.to.include(delivery.farmerRef);
      });
      const qr = await fetch(`${demo.tyre_page_url}/qr.png`);
      expect(decodeQr(Buffer.from(await qr.arrayBuffer()))).to.equal(demo.tyre_page_url);
    });

    it("reads in Thai as a Songkhla dealer would say it: ยางแท่ง STR 20, จุดรับซื้อ, areas in rai", async function () {
      const hectares = rubberDeliveries().reduce((sum, d) => sum + plotAreaM2(d.geometry), 0) / 10_000;
      const format = new Intl.NumberFormat("th", { maximumFractionDigits: 1 });
      await onPhone(`${demo.tyre_page_url}?lang=th`, async (opened) => {
        const body = await text(opened);
        expect(body).to.include("ยางแท่ง STR 20");
        expect(body).to.include(`${name("buyingStation")} (${NAMES.th.kinds["buying-station"]})`);
        expect(body).to.include(`${format.format(hectares)} เฮกตาร์ (${format.format(hectares * 6.25)} ไร่)`);
        expect(body).to.include(NAMES.th.schemes["no-forest-loss-since-2020"]);
      });
    });
  });

  describe("user-supplied text", function () {
    const payloads = {
      script: "<script>window.__xss=1</script>",
      attribute: '"><img src=x onerror="window.__xss=1">',
      link: "javascript:window.__xss=1",
    };

    it("renders member names and product names holding script as text: nothing runs", async function () {
      // A member whose metadata document's name is a script tag, minting a lot it names as a
      // product twice: once with an attribute breakout, once with a javascript: URL.
      const document = new TextEncoder().encode(JSON.stringify({ name: payloads.script, role: "cooperative", country: "ID" }));
      const stored = await running.gateway.evidence.put(document, "application/json");
      const answer = await sendControlCommand(running.gateway.controlSocket!, "POST", "/members", { roles: ["cooperative", "brand"], country: "ID", metadata: cidToDigest(stored.cid) });
      expect(answer?.status).to.equal(200);
      const { token } = answer!.body as { token: string };
      const member = client(running.gateway.url, token);
      const minted = await member.settle(
        (await member.post("/v1/lots/mint-batch", { deliveries: [1_000, 2_000].map((grams) => ({ form: 1, grams: String(grams), metadata: `0x${"ab".repeat(32)}`, origin: `0x${"cd".repeat(32)}` })) }, { "idempotency-key": "e2e-xss-mint" })).body.id,
      );
      expect(minted.final.status).to.equal("mined");
      const [first, second] = minted.final.outputs.lotIds as [string, string];
      await running.gateway.indexer.waitForBlock(Number(minted.final.transaction.blockNumber));
      const gtin = "09506000134352";
      const named = [
        await member.post("/v1/products", { gtin, batch: "XSS-1", lotId: first, name: payloads.attribute }),
        await member.post("/v1/products", { gtin, batch: "XSS-2", lotId: second, name: payloads.link }),
      ];
      expect(named.map((n) => n.status)).to.deep.equal([201, 201]);

      for (const [url, shown] of [
        [named[0]!.body.url as string, [payloads.script, payloads.attribute]],
        [named[1]!.body.url as string, [payloads.script, payloads.link]],
      ] as const) {
        await onPhone(url, async (opened) => {
          expect(opened.status).to.equal(200);
          await opened.page.waitForTimeout(200); // an injected onerror would have fired by now
          expect(await opened.page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).to.equal(undefined);
          const body = await text(opened);
          for (const payload of shown) expect(body, url).to.include(payload);
          expect(await opened.page.locator("main script, main img").count()).to.equal(0);
          const hrefs = await opened.page.locator("a").evaluateAll((links) => links.map((a) => a.getAttribute("href") ?? ""));
          expect(hrefs.filter((href) => !/^(\?|\/)/.test(href)), "only the gateway's own links").to.deep.equal([]);
        });
      }
    });

    it("escapes a batch echoed on the not-found page", async function () {
      const url = `${running.gateway.publicUrl}/01/${demo.products.chocolate.gtin}/10/${encodeURIComponent(payloads.script)}`;
      await onPhone(url, async (opened) => {
        expect(opened.status).to.equal(404);
        expect(await opened.page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).to.equal(undefined);
        expect(await text(opened)).to.include(payloads.script);
      });
    });
  });

  describe("a malformed Digital Link", function () {
    it("answers a 404 page that says the GTIN's check digit is wrong", async function () {
      const { gtin, batch } = demo.products.chocolate;
      const wrong = `${gtin.slice(0, -1)}${(Number(gtin.at(-1)) + 1) % 10}`;
      await onPhone(`${running.gateway.publicUrl}/01/${wrong}/10/${batch}`, async (opened) => {
        expect(opened.status).to.equal(404);
        expect(await opened.page.getAttribute("html", "lang")).to.equal("en");
        const body = await text(opened);
        expect(body).to.include("Not found");
        expect(body).to.match(/check digit \d is wrong: expected \d/);
      });
    });
  });

  describe("the first screen and accessibility, in each of the four languages", function () {
    const LANGS = ["en", "id", "th", "vi"] as const;
    const FIRST_SCREEN = { width: 412, height: 800 } as const;
    const withLang = (url: string, lang: string) => `${url}${url.includes("?") ? "&" : "?"}lang=${lang}`;

    // One page load each serves both checks; the CSP is bypassed only to inject axe-core.
    it("chocolate and tyre: the top 800 px at 412 px hold the product, the origin sentence, the badge and the claim lines; nothing overflows sideways; axe-core finds nothing serious or critical", async function () {
      const violations: string[] = [];
      for (const url of [demo.chocolate_page_url, demo.tyre_page_url]) {
        for (const lang of LANGS) {
          await onPhone(withLang(url, lang), async (opened) => {
            const where = `${url} ${lang}`;
            const bottoms = await opened.page.evaluate(() =>
              ["#product", "#story", "#verification", ...Array.from(document.querySelectorAll(".cl > li"), (_, i) => `.cl > li:nth-child(${i + 1})`)].map((selector) => {
                const element = document.querySelector(selector);
                return { selector, text: element?.textContent?.trim() ?? "", bottom: element ? element.getBoundingClientRect().bottom + window.scrollY : Infinity };
              }),
            );
            expect(bottoms.length, `${where}: claim lines`).to.be.at.least(4);
            for (const { selector, text, bottom } of bottoms) {
              expect(text, `${where} ${selector}`).not.to.equal("");
              expect(bottom, `${where} ${selector} ends at ${bottom} px`).to.be.at.most(FIRST_SCREEN.height);
            }
            expect(await opened.page.innerText("#product")).to.equal(url === demo.chocolate_page_url ? demo.products.chocolate.name : demo.products.tyre.name);
            expect(await horizontalOverflows(opened.page), where).to.deep.equal([]);
            await openAllDetails(opened.page);
            expect(await horizontalOverflows(opened.page), `${where}, every part opened`).to.deep.equal([]);
            violations.push(...(await seriousAxeViolations(opened.page)).map((v) => `${where}: ${v}`));
          }, { viewport: FIRST_SCREEN, bypassCSP: true });
        }
      }
      expect(violations).to.deep.equal([]);
    });

    it("the error page: axe-core finds nothing serious or critical in any language", async function () {
      const { gtin, batch } = demo.products.chocolate;
      const wrongCheckDigit = `${running.gateway.publicUrl}/01/${gtin.slice(0, -1)}${(Number(gtin.at(-1)) + 1) % 10}/10/${batch}`;
      for (const lang of LANGS) {
        await onPhone(withLang(wrongCheckDigit, lang), async (opened) => {
          expect(opened.status).to.equal(404);
          expect(await seriousAxeViolations(opened.page), lang).to.deep.equal([]);
        }, { bypassCSP: true });
      }
    });

    // The same checker must see a real problem, or a clean result means nothing.
    it("axe-core does report a serious problem when there is one", async function () {
      await onPhone(demo.chocolate_page_url, async (opened) => {
        await opened.page.evaluate(() => {
          document.querySelector("#story")!.setAttribute("style", "color:#ddd;background:#fff");
        });
        expect((await seriousAxeViolations(opened.page)).join("\n")).to.match(/color-contrast \(serious\)/);
      }, { bypassCSP: true });
    });

    it("opens a claim's attestations with a tap, without JavaScript", async function () {
      await onPhone(demo.chocolate_page_url, async (opened) => {
        // The first claim line with attestations to open (a claim the bar carries is a plain line).
        const first = opened.page.locator(".cl > li:has(details)").first();
        expect(await first.locator("code").first().isVisible()).to.equal(false);
        await first.locator("summary").click();
        expect(await first.locator("code").first().isVisible()).to.equal(true);
        expect(await first.locator("code").first().innerText()).to.match(/^0x[0-9a-f]{64}$/);
      }, { javaScriptEnabled: false });
    });

    it("works with the phone's text at 200 %: bigger letters, still nothing wider than the screen", async function () {
      for (const lang of ["th", "vi"] as const) {
        await onPhone(withLang(demo.chocolate_page_url, lang), async (opened) => {
          expect(await opened.page.evaluate(() => getComputedStyle(document.body).fontSize)).to.equal("32px");
          expect(await horizontalOverflows(opened.page), lang).to.deep.equal([]);
          expect(await scrollWidth(opened.page)).to.be.at.most(PHONE_VIEWPORT.width);
          expect(await opened.page.locator("#verification").isVisible()).to.equal(true);
        }, { defaultFontSize: 32 });
      }
    });
  });

  // Last: the gateway's SQL no longer tells the truth after this.
  describe("when the gateway's SQL is tampered with", function () {
    const verify = async (target: string) => {
      const stdout: string[] = [];
      const stderr: string[] = [];
      let exitCode = 0;
      const program = new Command("firstmile").exitOverride();
      registerVerifyCommand(program, { stdout: sink(stdout), stderr: sink(stderr), setExitCode: (code) => (exitCode = code) });
      await program.parseAsync(["verify", target, "--rpc", running.gateway.chain.url], { from: "user" });
      return { exitCode, stdout: stdout.join(""), stderr: stderr.join("") };
    };

    it("before: firstmile verify re-checks the page against the node and exits 0", async function () {
      const report = await verify(demo.chocolate_page_url);
      expect(report.stderr).to.equal("");
      expect(report.stdout).to.match(new RegExp(`^VERIFIED: lot ${demo.products.chocolate.lotId} matches the chain at block \\d+$`, "m"));
      expect(report.exitCode).to.equal(0);
    });

    it("after a delivery's weight is changed in SQL: a red mismatch naming the lots on reload, no tick; firstmile verify exits non-zero", async function () {
      // A delivery 50 kg heavier in the events the page recomputes its head from, and the
      // chocolate heavier in the lots table the page could have shown without checking.
      const delivery = demo.cocoa.deliveries[0]!;
      const chocolate = demo.products.chocolate.lotId;
      const opened = await browser.open(demo.chocolate_page_url, { viewport: PHONE_VIEWPORT });
      try {
        const { page } = opened;
        expect(await page.getAttribute("#verification", "class")).to.equal("v ok");

        const { rows } = await running.gateway.db.query<{ fields: Record<string, unknown> | string }>("select fields from lot_events where lot_id = $1 and seq = 0", [delivery]);
        const fields = typeof rows[0]!.fields === "string" ? (JSON.parse(rows[0]!.fields) as Record<string, unknown>) : rows[0]!.fields;
        expect(fields.grams, "the delivery's minted event").to.be.a("string");
        await running.gateway.db.query("update lot_events set fields = $2 where lot_id = $1 and seq = 0", [delivery, JSON.stringify({ ...fields, grams: (BigInt(fields.grams as string) + 50_000n).toString() })]);
        await running.gateway.db.query("update lots set grams = grams + 1000 where lot_id = $1", [chocolate]);

        // A page is built and checked once per block of the read model: the first view after the
        // next block shows the tamper. The same browser, its cache and ETag: no 304 for it.
        const { indexer } = running.gateway;
        await indexer.waitForBlock((indexer.status().indexedBlock ?? 0) + 1);
        await page.reload();
        const banner = page.locator("#verification");
        expect(await banner.getAttribute("class")).to.equal("v bad");
        expect(await banner.getAttribute("role")).to.equal("alert");
        const said = await banner.innerText();
        expect(said).to.match(/^✗ Does NOT match the blockchain/);
        expect(said).to.include(`lot ${delivery}:`);
        expect(said).to.include(`lot ${chocolate}:`);
        expect(await page.locator(".ok").count()).to.equal(0);
        expect(await page.innerText("body")).not.to.include("✓");
        expect(await banner.evaluate((el) => getComputedStyle(el).borderTopColor)).to.equal("rgb(192, 40, 28)");
      } finally {
        await opened.close();
      }

      const report = await verify(demo.chocolate_page_url);
      expect(report.exitCode).to.equal(1);
      expect(report.stdout).to.match(/^FAIL .*lot /m);
      expect(report.stdout).to.include(`lot ${delivery}`);
      expect(report.stdout).to.match(new RegExp(`^MISMATCH: \\d+ differences? for lot ${demo.products.chocolate.lotId}`, "m"));
    });

    it("the mismatch page: red in every language, no English, and nothing serious for axe-core", async function () {
      for (const lang of ["en", "id", "th", "vi"] as const) {
        await onPhone(`${demo.chocolate_page_url}?lang=${lang}`, async (opened) => {
          const banner = opened.page.locator("#verification");
          expect(await banner.getAttribute("class")).to.equal("v bad");
          expect(await banner.innerText()).to.include(LOCALES[lang].verifiedBad);
          if (lang !== "en") expect(await banner.innerText(), lang).not.to.match(/history head|lots table|its events say/);
          await openAllDetails(opened.page);
          expect(await seriousAxeViolations(opened.page), lang).to.deep.equal([]);
        }, { bypassCSP: true });
      }
    });
  });
});

function sink(lines: string[]): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function firstVertex(geometry: { type: string; coordinates: unknown }): [number, number] {
  let at: unknown = geometry.coordinates;
  while (Array.isArray(at) && Array.isArray(at[0])) at = at[0];
  return at as [number, number];
}
