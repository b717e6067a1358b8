/**
 * Test-only: `FIRSTMILE_TEST_CRASH_AT=<point>:<n>` makes the gateway kill itself with SIGKILL the
 * n-th time it reaches `<point>`, so the crash test can stop it exactly between two steps of the
 * relay. Unset (always, outside that test) it does nothing.
 *
 * - `after-ack`: an accepted request's 202 answer was written to the socket
 * - `after-sign`: custodial calls are signed, nothing of them recorded, no transaction built yet
 * - `after-submit`: the transactions are signed and recorded with their calls (`submitted`), not yet broadcast
 * - `after-broadcast`: the node has the transaction, its receipt is not recorded
 * - `before-mined`: the receipt is read, the outcome not yet written
 */
export const CRASH_POINTS = ["after-ack", "after-sign", "after-submit", "after-broadcast", "before-mined"] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** Called at each crash point; a no-op unless a crash is armed there. */
export type CrashHook = (point: CrashPoint) => void;

export const noCrash: CrashHook = () => {};

/** Parses `point:n` (validated by the config) into a hook that SIGKILLs the process on the n-th hit. */
export function crashHookFrom(spec: string | null, onCrash: (point: CrashPoint) => void = () => {}): CrashHook {
  if (!spec) return noCrash;
  const match = /^([a-z-]+):(\d+)$/.exec(spec);
  if (!match || !(CRASH_POINTS as readonly string[]).includes(match[1]!)) throw new Error(`invalid crash point ${JSON.stringify(spec)}`);
  const point = match[1] as CrashPoint;
  const at = Number(match[2]);
  let hits = 0;
  return (reached) => {
    if (reached !== point || ++hits !== at) return;
    onCrash(point);
    process.kill(process.pid, "SIGKILL");
  };
}
