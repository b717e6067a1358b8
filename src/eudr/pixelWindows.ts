import type { RasterLayer } from "./rasterLayer";
import { windowOf } from "./pixelScan";

/** A block of a raster's pixels: columns [x0, x0 + w), rows [y0, y0 + h). */
export type PixelBlock = { x0: number; y0: number; w: number; h: number; values: ArrayLike<number> };

/** Most pixels read in one block (a district's plots in one read; beyond it, plot by plot). */
export const MAX_BLOCK_PIXELS = 64 * 1024 * 1024;

/**
 * Reads a layer's pixels for many plots: one block covering them all when it is small enough (a
 * cooperative's plots lie in a district or two), else one block per plot, so a continental tile
 * is never read whole.
 */
export class PixelWindows {
  private shared: PixelBlock | null = null;
  private constructor(private readonly layer: RasterLayer) {}

  static async open(layer: RasterLayer, allBounds: ReadonlyArray<readonly [number, number, number, number]>, maxBlockPixels = MAX_BLOCK_PIXELS): Promise<PixelWindows> {
    const windows = new PixelWindows(layer);
    let union: [number, number, number, number] | null = null;
    for (const bounds of allBounds) {
      const window = windowOf(layer, bounds);
      if (!window) continue;
      union = union ? [Math.min(union[0], window[0]), Math.min(union[1], window[1]), Math.max(union[2], window[2]), Math.max(union[3], window[3])] : window;
    }
    if (union && (union[2] - union[0]) * (union[3] - union[1]) <= maxBlockPixels) windows.shared = await windows.read(union);
    return windows;
  }

  /** The block holding `bounds` (the shared one, or a read of its own); null if the raster does not reach it. */
  async blockFor(bounds: readonly [number, number, number, number]): Promise<PixelBlock | null> {
    const window = windowOf(this.layer, bounds);
    if (!window) return null;
    const shared = this.shared;
    if (shared && window[0] >= shared.x0 && window[1] >= shared.y0 && window[2] <= shared.x0 + shared.w && window[3] <= shared.y0 + shared.h) return shared;
    return this.read(window);
  }

  private async read([x0, y0, x1, y1]: [number, number, number, number]): Promise<PixelBlock> {
    return { x0, y0, w: x1 - x0, h: y1 - y0, values: await this.layer.read(x0, y0, x1, y1) };
  }
}

/** The value at (col, row), or null outside the block or where the layer says no data. */
export function valueAt(block: PixelBlock | null, nodata: number | null, col: number, row: number): number | null {
  if (!block) return null;
  const x = col - block.x0;
  const y = row - block.y0;
  if (x < 0 || y < 0 || x >= block.w || y >= block.h) return null;
  const value = block.values[y * block.w + x]!;
  return value === nodata || Number.isNaN(value) ? null : value;
}
