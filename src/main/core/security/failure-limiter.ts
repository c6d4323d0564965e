import type { Clock } from '../services/clock';

/**
 * Counts refused requests per key (a source address, an IPv6 /64, a credential) in a
 * sliding window; past `limit` failures the key is blocked until its oldest failure
 * leaves the window.
 *
 * Hand-written rather than express-rate-limit: only *failures* may count, decided
 * after the response, and successes must never count, so a rack behind one NAT
 * address enrolling at once is never blocked by its own successes.
 *
 * `admit` reserves a slot before the request's body arrives: requests whose outcome
 * is not known yet count as possible failures, so 25 slow-body guesses sent at once
 * cannot all slip past a limit of 10. Each success in the window earns the key one more
 * slot (a rack behind NAT that keeps succeeding enrols at full concurrency; a guesser
 * never earns any). A request over the budget waits for an earlier one to finish
 * instead of being refused.
 */
export function createFailureLimiter(options: {
  limit: number;
  windowMs: number;
  clock: Clock;
  maxWaiting?: number;
  maxEarned?: number;
}) {
  const failures = new Map<string, number[]>();
  /** Successes in the window, per key (capped): each earns one more concurrent slot. */
  const successes = new Map<string, number[]>();
  const maxEarned = options.maxEarned ?? 256;
  const inFlight = new Map<string, number>();
  const waiting = new Map<string, (() => void)[]>();
  const maxWaiting = options.maxWaiting ?? 256;

  /** The key's times still in the window (kept oldest first, so expired ones leave from the front). */
  function recentIn(map: Map<string, number[]>, key: string, now: number): number[] {
    const times = map.get(key);
    if (!times) return [];
    let expired = 0;
    while (expired < times.length && now - times[expired]! >= options.windowMs) expired++;
    if (expired) times.splice(0, expired);
    if (times.length === 0) map.delete(key);
    return times;
  }
  const recent = (key: string, now: number) => recentIn(failures, key, now);

  function retryAfter(key: string): number {
    const now = options.clock.now();
    const times = recent(key, now);
    if (times.length < options.limit) return 0;
    return Math.max(1, Math.ceil((times[times.length - options.limit]! + options.windowMs - now) / 1000));
  }

  function recordSuccess(key: string): void {
    const now = options.clock.now();
    const times = recentIn(successes, key, now);
    times.push(now);
    if (times.length > maxEarned) times.splice(0, times.length - maxEarned);
    successes.set(key, times);
  }

  function release(key: string): void {
    const left = (inFlight.get(key) ?? 1) - 1;
    if (left <= 0) inFlight.delete(key);
    else inFlight.set(key, left);
    // Every waiter looks again: one may now proceed, the others are refused or wait on.
    const queue = waiting.get(key) ?? [];
    waiting.delete(key);
    for (const wake of queue) wake();
  }

  return {
    /** Seconds until this key may try again, or 0 when it is not blocked. */
    retryAfter,

    /**
     * Waits for a slot: resolves to 0 and a `done(failed)` to call when the outcome is
     * known, or to the seconds to wait when the key is blocked (or too many wait).
     */
    async admit(key: string): Promise<{ retryAfter: number; done?: (failed: boolean) => void }> {
      for (;;) {
        const blocked = retryAfter(key);
        if (blocked > 0) return { retryAfter: blocked };
        const now = options.clock.now();
        const budget = options.limit - recent(key, now).length + recentIn(successes, key, now).length;
        if ((inFlight.get(key) ?? 0) < budget) break;
        const queue = waiting.get(key) ?? [];
        if (queue.length >= maxWaiting) return { retryAfter: 1 };
        waiting.set(key, queue);
        await new Promise<void>((resolve) => queue.push(resolve));
      }
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      let settled = false;
      return {
        retryAfter: 0,
        done: (failed) => {
          if (settled) return;
          settled = true;
          if (failed) this.recordFailure(key);
          else recordSuccess(key);
          release(key);
        },
      };
    },

    recordFailure(key: string): void {
      const now = options.clock.now();
      const times = recent(key, now);
      times.push(now);
      failures.set(key, times.slice(-options.limit));
    },

    /** Drops keys with nothing in the window, so memory stays bounded by the active attackers. */
    sweep(): void {
      const now = options.clock.now();
      for (const key of failures.keys()) recent(key, now);
      for (const key of successes.keys()) recentIn(successes, key, now);
    },
  };
}

export type FailureLimiter = ReturnType<typeof createFailureLimiter>;
