import Flatbush from "flatbush";

/** A rectangle [minX, minY, maxX, maxY] (longitude, latitude). */
export type Bounds = readonly [number, number, number, number];

/** What the index holds: a box and whether the entry still counts (removal only marks it). */
export type IndexEntry = { bounds: Bounds; alive: boolean };

/** One static Flatbush over a fixed set of entries. */
type Level<T extends IndexEntry> = { tree: Flatbush; entries: T[] };

/** Entries added one by one before they are packed into a level. */
const TAIL_SIZE = 128;

/**
 * A spatial index of plots that takes additions one at a time. Flatbush is static (built once,
 * never added to), so the index keeps several of them, after Bentley and Saxe's logarithmic
 * method: new entries go to a small list searched linearly (the tail); a full tail becomes a
 * level of its own, and levels of similar size are merged into one rebuilt level, like a binary
 * counter. A search asks O(log n) trees and the tail; an entry is rebuilt O(log n) times over its
 * life. Removal (an archived plot, an older version) marks the entry; merges drop marked entries,
 * and when they outnumber the live ones everything is rebuilt.
 */
export class PlotIndex<T extends IndexEntry> {
  #levels: Array<Level<T>> = [];
  #tail: T[] = [];
  #live = 0;
  #dead = 0;

  /** Builds the index over `entries` at once (loading the plots at start). */
  constructor(entries: readonly T[] = []) {
    const alive = entries.filter((entry) => entry.alive);
    if (alive.length > 0) this.#levels.push(build(alive));
    this.#live = alive.length;
  }

  /** Live entries. */
  get size(): number {
    return this.#live;
  }

  /** How the index is laid out now: entries per level and in the tail (for tests and the benchmark). */
  get shape(): { levels: number[]; tail: number } {
    return { levels: this.#levels.map((level) => level.entries.length), tail: this.#tail.length };
  }

  add(entry: T): void {
    entry.alive = true;
    this.#tail.push(entry);
    this.#live += 1;
    if (this.#tail.length >= TAIL_SIZE) this.#packTail();
  }

  /** Marks `entry` removed: searches stop returning it. */
  remove(entry: T): void {
    if (!entry.alive) return;
    entry.alive = false;
    this.#live -= 1;
    this.#dead += 1;
    if (this.#dead > Math.max(TAIL_SIZE, this.#live)) this.#rebuildAll();
  }

  /** Live entries whose box intersects or touches `bounds`. */
  search(bounds: Bounds): T[] {
    const [minX, minY, maxX, maxY] = bounds;
    const found: T[] = [];
    for (const level of this.#levels) {
      for (const index of level.tree.search(minX, minY, maxX, maxY)) {
        const entry = level.entries[index]!;
        if (entry.alive) found.push(entry);
      }
    }
    for (const entry of this.#tail) {
      const [x0, y0, x1, y1] = entry.bounds;
      if (entry.alive && x0 <= maxX && y0 <= maxY && x1 >= minX && y1 >= minY) found.push(entry);
    }
    return found;
  }

  #packTail(): void {
    let entries = this.#tail.filter((entry) => entry.alive);
    this.#dead -= this.#tail.length - entries.length;
    this.#tail = [];
    // Merge with the smallest levels while they are no more than twice the size of what is merged.
    while (this.#levels.length > 0 && this.#levels[this.#levels.length - 1]!.entries.length <= entries.length * 2) {
      const level = this.#levels.pop()!;
      const kept = level.entries.filter((entry) => entry.alive);
      this.#dead -= level.entries.length - kept.length;
      entries = kept.concat(entries);
    }
    if (entries.length > 0) this.#levels.push(build(entries));
  }

  #rebuildAll(): void {
    const entries = [...this.#levels.flatMap((level) => level.entries), ...this.#tail].filter((entry) => entry.alive);
    this.#levels = entries.length > 0 ? [build(entries)] : [];
    this.#tail = [];
    this.#dead = 0;
  }
}

function build<T extends IndexEntry>(entries: T[]): Level<T> {
  const tree = new Flatbush(entries.length);
  for (const { bounds } of entries) tree.add(bounds[0], bounds[1], bounds[2], bounds[3]);
  tree.finish();
  return { tree, entries };
}
