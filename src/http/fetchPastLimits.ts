/**
 * `fetch` as a polite client of a gateway sends: a request the gateway limited (429) is sent again
 * after the `Retry-After` it names, and one whose connection was lost before any answer is sent
 * again too (for requests safe to repeat: reads, and writes with an idempotency key). Used by the
 * demo's clients and by `firstmile verify`.
 */
export type FetchPastLimitsOptions = {
  /** 429s waited out before the last one is answered as it is (default 20). */
  rateLimitRetries?: number;
  /** Connections lost before any answer that are tried again (default 5). */
  connectionRetries?: number;
  /** Longest wait for one `Retry-After`, seconds (default 30). */
  maxWaitSeconds?: number;
  /** Each attempt's own time limit, ms (default none). */
  timeoutMs?: number;
  /** Told each wait a 429 asked for, before it. */
  onWait?: (seconds: number) => void;
  /** Shared by clients that call from one address (see `requestPace`). */
  pace?: Pace | undefined;
};

export async function fetchPastLimits(url: string | URL, init: RequestInit, options: FetchPastLimitsOptions = {}): Promise<Response> {
  const { rateLimitRetries = 20, connectionRetries = 5, maxWaitSeconds = 30, timeoutMs, onWait, pace } = options;
  for (let limited = 0, lost = 0; ; ) {
    await pace?.();
    const answered = await fetch(url, timeoutMs === undefined ? init : { ...init, signal: AbortSignal.timeout(timeoutMs) }).catch((error: unknown) => {
      if (lost >= connectionRetries || !(error instanceof TypeError)) throw error;
      return null;
    });
    if (!answered) {
      lost++;
      await sleep(1_000);
      continue;
    }
    if (answered.status !== 429 || limited >= rateLimitRetries) return answered;
    limited++;
    await answered.arrayBuffer();
    const seconds = Math.min(maxWaitSeconds, Math.max(1, Math.ceil(Number(answered.headers.get("retry-after")) || 1)));
    onWait?.(seconds);
    await sleep(seconds * 1000);
  }
}

/** Resolves when the next request may leave (see `requestPace`). */
export type Pace = () => Promise<void>;

/**
 * Keeps requests under `perSecond` on average, at most `burst` at once (a generic cell rate
 * algorithm): clients that share one address stay together under a gateway's per-address limit,
 * which would otherwise answer a busy moment with 429s, each one waited out for a second.
 */
export function requestPace(perSecond: number, burst = Math.max(1, Math.floor(perSecond))): Pace {
  const gap = 1000 / perSecond;
  const tolerance = (burst - 1) * gap;
  let theoretical = 0;
  return () => {
    const now = performance.now();
    theoretical = Math.max(theoretical, now);
    const wait = theoretical - now - tolerance;
    theoretical += gap;
    return wait > 0 ? sleep(wait) : Promise.resolve();
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
