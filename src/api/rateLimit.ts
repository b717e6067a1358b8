/**
 * A token bucket per key (API token or client IP), in memory: `capacity` requests at once,
 * refilled at `perSecond`. Buckets idle long enough to be full are forgotten.
 */
export type RateLimiter = { take(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number } };

export function createRateLimiter({
  capacity,
  perSecond,
  now = () => Date.now(),
}: {
  capacity: number;
  perSecond: number;
  now?: () => number;
}): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  let lastSweep = now();
  return {
    take(key) {
      const time = now();
      if (time - lastSweep > 60_000) {
        const fullAfterMs = (capacity / perSecond) * 1000;
        for (const [bucketKey, bucket] of buckets) if (time - bucket.at > fullAfterMs) buckets.delete(bucketKey);
        lastSweep = time;
      }
      const bucket = buckets.get(key) ?? { tokens: capacity, at: time };
      bucket.tokens = Math.min(capacity, bucket.tokens + ((time - bucket.at) / 1000) * perSecond);
      bucket.at = time;
      buckets.set(key, bucket);
      if (bucket.tokens < 1) return { allowed: false, retryAfterSeconds: Math.ceil((1 - bucket.tokens) / perSecond) };
      bucket.tokens -= 1;
      return { allowed: true };
    },
  };
}
