import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { PNG } from "pngjs";
import QRCode from "qrcode";
import { BrowserNotFoundError, decodeQr, findChromium, launchBrowser, PHONE_VIEWPORT, pngSize, screenshot, scrollWidth, type TestBrowser } from "./browser";

/** The harness itself, against a tiny local server: if this fails, the consumer page test cannot be trusted either. */
describe("e2e browser harness (Debian's Chromium through playwright-core)", function () {
  let browser: TestBrowser;
  let server: http.Server;
  let base: string;
  const target = "https://example.test/01/09506000134352/10/LOT-7";
  const kept: Array<{ cookie?: string; ifNoneMatch?: string }> = [];

  before(async function () {
    this.timeout(60_000);
    const qr = await QRCode.toBuffer(target, { type: "png", margin: 4, scale: 6 });
    server = http.createServer((request, response) => {
      if (request.url === "/kept") {
        // A page a browser would keep (cached for ten minutes, with a cookie): a later open must not show it kept.
        kept.push({ cookie: request.headers.cookie, ifNoneMatch: request.headers["if-none-match"] });
        response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "public, max-age=600", etag: '"kept"', "set-cookie": "seen=1" }).end("<p>kept</p>");
        return;
      }
      if (request.url === "/qr.png") {
        response.writeHead(200, { "content-type": "image/png" }).end(qr);
        return;
      }
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(
        `<!doctype html><meta name="viewport" content="width=device-width"><title>smoke</title>` +
          `<h1 id="title">Hello ${request.headers["accept-language"] ?? ""}</h1><script>window.__ran = 1</script>`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });
  after(async function () {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("finds the browser, and says how to install it when it is missing", function () {
    expect(findChromium()).to.equal(browser.executablePath);
    expect(() => findChromium({ FIRSTMILE_CHROMIUM: "/nonexistent/chromium" }))
      .to.throw(BrowserNotFoundError)
      .with.property("message")
      .that.matches(/apt-get install .*chromium/);
  });

  it("opens a page at phone width with a language, runs its script, and measures the document", async function () {
    const opened = await browser.open(`${base}/`, { locale: "th-TH" });
    try {
      expect(opened.status).to.equal(200);
      expect(await opened.page.textContent("#title")).to.match(/^Hello th-TH/);
      expect(await opened.page.evaluate(() => (window as unknown as { __ran?: number }).__ran)).to.equal(1);
      expect(opened.transferBytes).to.be.within(100, 1000);
      expect(await scrollWidth(opened.page)).to.equal(PHONE_VIEWPORT.width);
      const shot = await screenshot(opened.page);
      expect(pngSize(shot).width).to.equal(PHONE_VIEWPORT.width);
    } finally {
      await opened.close();
    }
  });

  it("opens each page as a phone that never saw it: nothing from the cache or cookies of an open before", async function () {
    for (let i = 0; i < 2; i++) {
      const opened = await browser.open(`${base}/kept`);
      try {
        expect(opened.status).to.equal(200);
        expect(await opened.page.textContent("p")).to.equal("kept");
      } finally {
        await opened.close();
      }
    }
    expect(kept, "both opens reached the server, with nothing the first one left").to.deep.equal([{}, {}].map(() => ({ cookie: undefined, ifNoneMatch: undefined })));
  });

  it("decodes a QR code from a PNG, fetched over HTTP and from a screenshot of it", async function () {
    const fetched = Buffer.from(await (await fetch(`${base}/qr.png`)).arrayBuffer());
    expect(decodeQr(fetched)).to.equal(target);
    const opened = await browser.open(`${base}/qr.png`, { viewport: { width: 400, height: 400 } });
    try {
      expect(decodeQr(await screenshot(opened.page, { fullPage: false }))).to.equal(target);
    } finally {
      await opened.close();
    }
    expect(decodeQr(blankPng())).to.equal(null);
  });
});

/** A white 50x50 PNG: no QR code in it. */
function blankPng(): Buffer {
  const png = new PNG({ width: 50, height: 50 });
  png.data.fill(255);
  return PNG.sync.write(png);
}
