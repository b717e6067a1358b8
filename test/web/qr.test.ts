import { expect } from "chai";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { gtinCheckDigit } from "../../src/products";
import { lotPageUrl, qrPath, qrPng, qrSvg, qrTerminal } from "../../src/web/qr";

function decode(png: Buffer): string | null {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength), image.width, image.height)?.data ?? null;
}

/** Draws a `qrPath` onto a PNG (4 px per module), as a printer would draw the label sheet. */
function rasterise({ path, size }: { path: string; size: number }, scale = 4): Buffer {
  const png = new PNG({ width: size * scale, height: size * scale });
  png.data.fill(255);
  for (const [, x, y, w] of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < Number(w) * scale; dx++) {
        const offset = (((Number(y) * scale + dy) * size * scale) + Number(x) * scale + dx) * 4;
        png.data[offset] = png.data[offset + 1] = png.data[offset + 2] = 0;
      }
    }
  }
  return PNG.sync.write(png);
}

describe("QR codes of lot pages", function () {
  const gtin = `899999900002${gtinCheckDigit("899999900002")}`;

  describe("lotPageUrl", function () {
    it("is a GS1 Digital Link for a product (GTIN-14, batch percent-encoded) and /l/{id} for any other lot", function () {
      expect(lotPageUrl("https://trace.example.org/", { gtin, batch: "TY 24/01" })).to.equal(`https://trace.example.org/01/0${gtin}/10/TY%2024%2F01`);
      expect(lotPageUrl("http://127.0.0.1:8080", { lotId: 4_294_967_297n })).to.equal("http://127.0.0.1:8080/l/4294967297");
      expect(() => lotPageUrl("http://x", { gtin: `${gtin.slice(0, -1)}0`, batch: "B" })).to.throw(/check digit/);
    });
  });

  describe("qrPng, qrSvg, qrTerminal, qrPath", function () {
    const url = lotPageUrl("https://trace.example.org", { gtin, batch: "KOP-24/07" });

    it("draws a PNG a decoder reads back as the page URL", async function () {
      expect(decode(await qrPng(url))).to.equal(url);
    });

    it("draws an SVG document and terminal text", async function () {
      expect(await qrSvg(url)).to.match(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      const text = await qrTerminal(url);
      expect(text.split("\n").length).to.be.greaterThan(10);
      expect(text).to.match(/[▀▄█]/);
    });

    it("gives the modules as one path that decodes to the same URL once drawn", function () {
      const drawn = qrPath(url);
      expect(drawn.size).to.be.greaterThan(21);
      expect(decode(rasterise(drawn))).to.equal(url);
    });
  });
});
