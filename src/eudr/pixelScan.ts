import { cellAreaM2 } from "./geodesy";
import type { PlotShape } from "./shapes";

/** A north-up WGS 84 grid: west and north edges, pixel size in degrees. */
export type Grid = { west: number; north: number; dx: number; dy: number; width: number; height: number };

/**
 * Calls `visit(col, row, lon, lat, areaM2)` for every pixel of `grid` whose centre lies inside
 * `shape`, row by row over the shape's bounding box: each row asks the shape where it enters and
 * leaves it and walks the columns between, so the cost is the pixels inside plus one span
 * computation per row. Columns and rows may lie outside the raster (the caller counts them as no
 * data). A shape too small to hold any pixel centre is given the one pixel under its box's centre,
 * weighted with `fallbackAreaM2`, so a tiny plot is never "empty".
 */
export function scanPixels(grid: Grid, shape: PlotShape, fallbackAreaM2: number, visit: (col: number, row: number, lon: number, lat: number, areaM2: number) => void): void {
  const { west, north, dx, dy } = grid;
  const [minX, minY, maxX, maxY] = shape.bounds;
  const rowStart = Math.ceil((north - maxY) / dy - 0.5);
  const rowEnd = Math.floor((north - minY) / dy - 0.5);
  let visited = false;
  for (let row = rowStart; row <= rowEnd; row++) {
    const lat = north - (row + 0.5) * dy;
    const spans = shape.spans(lat);
    if (spans.length === 0) continue;
    const area = cellAreaM2(dx, lat - dy / 2, lat + dy / 2);
    for (let s = 0; s + 1 < spans.length; s += 2) {
      const colStart = Math.ceil((spans[s]! - west) / dx - 0.5);
      const colEnd = Math.floor((spans[s + 1]! - west) / dx - 0.5);
      for (let col = colStart; col <= colEnd; col++) {
        visited = true;
        visit(col, row, west + (col + 0.5) * dx, lat, area);
      }
    }
  }
  if (!visited) {
    const lon = (minX + maxX) / 2;
    const lat = (minY + maxY) / 2;
    const col = Math.floor((lon - west) / dx);
    const row = Math.floor((north - lat) / dy);
    visit(col, row, west + (col + 0.5) * dx, north - (row + 0.5) * dy, fallbackAreaM2);
  }
}

/** The pixel window [x0, x1) x [y0, y1) of `grid` that holds `bounds`, clipped to the raster; null if outside it. */
export function windowOf(grid: Grid, bounds: readonly [number, number, number, number]): [number, number, number, number] | null {
  const x0 = Math.max(0, Math.floor((bounds[0] - grid.west) / grid.dx));
  const x1 = Math.min(grid.width, Math.floor((bounds[2] - grid.west) / grid.dx) + 1);
  const y0 = Math.max(0, Math.floor((grid.north - bounds[3]) / grid.dy));
  const y1 = Math.min(grid.height, Math.floor((grid.north - bounds[1]) / grid.dy) + 1);
  return x0 < x1 && y0 < y1 ? [x0, y0, x1, y1] : null;
}
