/**
 * Runs tasks one after another, in the order they were given (a lock for one process). The plot
 * registry's overlap check and its insert must not interleave with another registration's.
 */
export class Serial {
  #last: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#last.then(task, task);
    this.#last = result.catch(() => undefined);
    return result;
  }
}

/**
 * One `Serial` per key, dropped when idle: tasks on the same keys wait for each other, tasks on
 * other keys do not. Keys are taken in sorted order, so two tasks never wait for each other.
 */
export class KeyedSerial {
  #tails = new Map<string, Promise<void>>();

  async run<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    try {
      for (const key of sorted) {
        const previous = this.#tails.get(key) ?? Promise.resolve();
        let release!: () => void;
        const mine = new Promise<void>((resolve) => (release = resolve));
        const tail = previous.then(() => mine);
        this.#tails.set(key, tail);
        releases.push(() => {
          release();
          if (this.#tails.get(key) === tail) this.#tails.delete(key);
        });
        await previous;
      }
      return await task();
    } finally {
      for (const release of releases) release();
    }
  }
}
