/** Time source handed to services, so tests can move time instead of waiting. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests set and advance by hand. */
export function manualClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let current = start;
  return {
    now: () => current,
    set: (ms: number) => void (current = ms),
    advance: (ms: number) => void (current += ms),
  };
}
