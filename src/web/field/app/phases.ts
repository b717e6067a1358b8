/**
 * Marks of a recording's phases (tap, queued, built, stored, painted) for the benchmark's
 * breakdown (`FIELD_BENCH_PHASES`, which sets `fieldPhases` on the page). Off otherwise: each mark
 * is sent to the browser's process while the agent waits for the receipt.
 */
export function phasesMarked(): boolean {
  return (globalThis as { fieldPhases?: boolean }).fieldPhases === true;
}

export function markPhase(name: string, options?: PerformanceMarkOptions): void {
  if (phasesMarked()) performance.mark(name, options);
}
