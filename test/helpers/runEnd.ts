/**
 * What the test run shares across suites (the chain and PGlite templates, the PostgreSQL server)
 * is made on first use and released once, after every suite: the helpers that make it register
 * its release here, and the root hook (test/helpers/rootHooks.ts) runs them, last made first.
 */
const releases: Array<() => unknown> = [];

export function atRunEnd(release: () => unknown): void {
  releases.push(release);
}

export async function runEnd(): Promise<void> {
  const failures: unknown[] = [];
  for (const release of releases.splice(0).reverse()) {
    try {
      await release();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, "releasing the test run's shared setup failed");
}
