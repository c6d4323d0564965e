import type { Connectivity } from './domain';

/**
 * ONLINE while the last heartbeat is within the offline threshold, OFFLINE after,
 * NEVER without one. Shared so the UI flips a host to OFFLINE the moment the
 * threshold passes, between two fetches, by the same rule as the server.
 */
export function connectivityOf(lastSeenMs: number | null, nowMs: number, thresholdSeconds: number): Connectivity {
  if (lastSeenMs === null) return 'NEVER';
  return nowMs - lastSeenMs <= thresholdSeconds * 1000 ? 'ONLINE' : 'OFFLINE';
}
