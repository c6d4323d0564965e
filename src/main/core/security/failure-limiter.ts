import type { Clock } from '../services/clock';

/**
 * Counts refused requests per source address in a sliding window; past `limit`
 * failures the address is blocked until its oldest failure leaves the window.
 *
 * Hand-written rather than express-rate-limit: only *failures* may count, decided
 * after the response, and in-flight successes must never count (its
 * skipSuccessfulRequests counts first and refunds later, so a rack of hosts behind
 * one NAT address enrolling at once could be blocked by its own successes).
 */
export function createFailureLimiter(options: { limit: number; windowMs: number; clock: Clock }) {
  const failures = new Map<string, number[]>();

  function recent(address: string, now: number): number[] {
    const times = (failures.get(address) ?? []).filter((t) => now - t < options.windowMs);
    if (times.length === 0) failures.delete(address);
    else failures.set(address, times);
    return times;
  }

  return {
    /** Seconds until this address may try again, or 0 when it is not blocked. */
    retryAfter(address: string): number {
      const now = options.clock.now();
      const times = recent(address, now);
      if (times.length < options.limit) return 0;
      return Math.max(1, Math.ceil((times[times.length - options.limit]! + options.windowMs - now) / 1000));
    },
    recordFailure(address: string): void {
      const now = options.clock.now();
      const times = recent(address, now);
      times.push(now);
      failures.set(address, times.slice(-options.limit));
    },
    /** Drops addresses with nothing in the window, so memory stays bounded by the active attackers. */
    sweep(): void {
      const now = options.clock.now();
      for (const address of failures.keys()) recent(address, now);
    },
  };
}

export type FailureLimiter = ReturnType<typeof createFailureLimiter>;
