import { expect } from "chai";
import jsQR from "jsqr";
import QRCode from "qrcode";
import { canonicalJson } from "../../src/encoding/canonicalJson";
import { plotCommitment } from "../../src/origins";
import { plotGeometrySchema } from "../../src/origins/geometry";
import { boundaryOf, simplify, type Fix } from "../../src/web/field/app/boundary";
import { toHex, utf8 } from "../../src/web/field/app/hex";
import { qrSvg } from "../../src/web/field/app/qr";
import { cardCodeOf, decodePixels } from "../../src/web/field/app/scan";
import { keccak } from "../../src/web/field/app/signing";

/**
 * The field app's boundary walk (fixes → simplified ring → the gateway's EUDR rules) and its
 * QR codes (the receipt's, drawn with a fixed mask; a card's, read from camera pixels), in Node
 * on the same modules the phone runs.
 */
const METRE_LAT = 1 / 111_195;
/** A walk round a rectangle `widthM` × `heightM` from (lon, lat), a fix every `stepM`, with a little GPS jitter. */
function walkRectangle(widthM: number, heightM: number, stepM = 3, jitterM = 0.5, accuracyM = 5): Fix[] {
  const [lon0, lat0] = [120.1234567, -0.9123456];
  const metreLon = METRE_LAT / Math.cos((lat0 * Math.PI) / 180);
  const corners = [[0, 0], [widthM, 0], [widthM, heightM], [0, heightM], [0, 0]] as const;
  const fixes: Fix[] = [];
  let wobble = 0;
  for (let side = 0; side < 4; side++) {
    const [[x0, y0], [x1, y1]] = [corners[side]!, corners[side + 1]!];
    const steps = Math.ceil(Math.hypot(x1 - x0, y1 - y0) / stepM);
    for (let i = 0; i < steps; i++) {
      const t = i / steps;
      const jitter = ((wobble++ % 3) - 1) * jitterM;
      fixes.push({ longitude: lon0 + (x0 + (x1 - x0) * t + jitter) * metreLon, latitude: lat0 + (y0 + (y1 - y0) * t - jitter) * METRE_LAT, accuracyM });
    }
  }
  fixes.push({ ...fixes[0]! });
  return fixes;
}

describe("field app: walking a plot's boundary", function () {
  it("keeps the corners of a walked rectangle and drops the points along its sides", function () {
    const walk = walkRectangle(250, 200);
    expect(walk.length).to.be.above(250);
    const boundary = boundaryOf(walk);
    expect(boundary.issues).to.deep.equal([]);
    expect(boundary.corners).to.be.within(4, 8);
    // 5 ha, within the jitter of the walk.
    expect(boundary.areaM2 / 10_000).to.be.closeTo(5, 0.1);
    // The gateway's own schema accepts the ring as the phone sends it (closed, six decimals, no crossing).
    expect(plotGeometrySchema.safeParse(boundary.geometry).success).to.equal(true);
    for (const [lon, lat] of boundary.geometry!.coordinates[0]!) {
      expect(Math.round(lon! * 1e6) / 1e6).to.equal(lon);
      expect(Math.round(lat! * 1e6) / 1e6).to.equal(lat);
    }
  });

  it("simplifies with Douglas-Peucker within the tolerance", function () {
    const line: Fix[] = Array.from({ length: 50 }, (_, i) => ({ longitude: 120 + i * 1e-5, latitude: -1 + (i % 2) * 1e-6, accuracyM: 3 }));
    // The zig-zag is 0.1 m: gone at 2 m, kept at 0.01 m.
    expect(simplify(line, 2)).to.have.length(2);
    expect(simplify(line, 0.01)).to.have.length(50);
  });

  it("drops inaccurate fixes and refuses what the gateway refuses", function () {
    const walk = walkRectangle(100, 100).map((fix, i) => (i % 2 === 0 ? { ...fix, accuracyM: 80 } : fix));
    const boundary = boundaryOf(walk);
    expect(boundary.accuracyM).to.be.at.most(25);
    expect(boundary.issues).to.deep.equal([]);
    expect(boundaryOf(walk.slice(0, 3)).issues[0]).to.match(/three corners/);
    // A figure-eight crosses itself: the EUDR rule of the gateway, word for word.
    const eight: Fix[] = [
      [0, 0], [50, 50], [50, 0], [0, 50], [0, 0],
    ].map(([x, y]) => ({ longitude: 120 + x! * 1e-5, latitude: -1 + y! * 1e-5, accuracyM: 4 }));
    const crossed = boundaryOf(eight);
    expect(crossed.issues.join(" ")).to.match(/crosses itself/);
    expect(plotGeometrySchema.safeParse(crossed.geometry).success).to.equal(false);
  });

  it("commits to the walked Polygon as the gateway does (canonical JSON, keccak-256)", function () {
    const geometry = boundaryOf(walkRectangle(120, 90)).geometry!;
    const salt = `0x${"ab".repeat(32)}`;
    const farmerRef = "f_abcdefghijklmnopqrstuvwxyz";
    expect(toHex(keccak(utf8(canonicalJson({ farmerRef, geometry, salt }))))).to.equal(plotCommitment({ farmerRef, geometry, salt }));
  });
});

describe("field app: QR codes", function () {
  /** An SVG of `qrSvg` rasterised (its one path of h/v runs) into RGBA pixels, `scale` px a module, as a camera frame. */
  function rasterise(svg: string, scale = 6): { data: Uint8ClampedArray; width: number; height: number } {
    const size = Number(/viewBox="0 0 (\d+)/.exec(svg)![1]) + 6;
    const width = size * scale;
    const data = new Uint8ClampedArray(width * width * 4).fill(255);
    const path = /<path d="([^"]+)"/.exec(svg)![1]!;
    for (const [, x, y, run] of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
      for (let dy = 0; dy < scale; dy++)
        for (let dx = 0; dx < Number(run) * scale; dx++) {
          const at = (((Number(y) + 3) * scale + dy) * width + (Number(x) + 3) * scale + dx) * 4;
          data[at] = data[at + 1] = data[at + 2] = 0;
        }
    }
    return { data, width, height: width };
  }

  it("draws the receipt's QR code with a fixed mask, and it reads back", function () {
    const text = `firstmile:receipt:7K3Q-M9TX:0x${"5c".repeat(32)}`;
    for (const mask of [0, 2, 7]) {
      const pixels = rasterise(qrSvg(text, mask));
      expect(jsQR(pixels.data, pixels.width, pixels.height)?.data, `mask ${mask}`).to.equal(text);
    }
  });

  it("reads a card code from a camera frame's pixels", function () {
    const qr = QRCode.create("7K3Q-M9TX", { errorCorrectionLevel: "M" });
    const n = qr.modules.size;
    const scale = 5;
    const width = (n + 8) * scale;
    const data = new Uint8ClampedArray(width * width * 4).fill(255);
    for (let row = 0; row < n; row++)
      for (let col = 0; col < n; col++)
        if (qr.modules.get(row, col))
          for (let dy = 0; dy < scale; dy++)
            for (let dx = 0; dx < scale; dx++) {
              const at = (((row + 4) * scale + dy) * width + (col + 4) * scale + dx) * 4;
              data[at] = data[at + 1] = data[at + 2] = 0;
            }
    const text = decodePixels({ data, width, height: width, colorSpace: "srgb" } as ImageData);
    expect(text).to.equal("7K3Q-M9TX");
    expect(cardCodeOf(text!)).to.equal("7K3QM9TX");
    expect(cardCodeOf("https://coop.example/f#card=7k3q-m9tx")).to.equal("7K3QM9TX");
    expect(cardCodeOf("hello")).to.equal(null);
    // A blank frame holds nothing.
    expect(decodePixels({ data: new Uint8ClampedArray(width * width * 4).fill(255), width, height: width, colorSpace: "srgb" } as ImageData)).to.equal(null);
  });
});
