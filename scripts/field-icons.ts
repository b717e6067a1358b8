import fs from "node:fs";
import path from "node:path";
import { PNG } from "pngjs";

/**
 * Draws the field app's PNG icons (192 and 512 px) as the SVG icon draws them: a green rounded
 * square, a white disc, a green leaf with a white stem. Run once; the PNGs are committed.
 *   node -r ./scripts/register-ts.js scripts/field-icons.ts
 */
function draw(size: number): Buffer {
  const png = new PNG({ width: size, height: size });
  const s = size / 512;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const X = x / s;
      const Y = y / s;
      const r = 96;
      const cx = Math.min(Math.max(X, r), 512 - r);
      const cy = Math.min(Math.max(Y, r), 512 - r);
      const inside = (X - cx) ** 2 + (Y - cy) ** 2 <= r * r;
      let colour = inside ? [11, 93, 30, 255] : [0, 0, 0, 0];
      if ((X - 256) ** 2 + (Y - 256) ** 2 <= 150 ** 2) colour = [255, 255, 255, 255];
      // The leaf: a lens between two arcs from (256,136) to (256,376).
      const half = 70 * Math.sin((Math.PI * (Y - 136)) / 240);
      if (Y >= 136 && Y <= 376 && Math.abs(X - 256) <= half) colour = [11, 93, 30, 255];
      if (X >= 248 && X <= 264 && Y >= 220 && Y <= 390) colour = [255, 255, 255, 255];
      png.data.set(colour, (y * size + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

const dir = path.join(__dirname, "..", "src", "web", "field", "static");
for (const size of [192, 512]) fs.writeFileSync(path.join(dir, `icon-${size}.png`), draw(size));
