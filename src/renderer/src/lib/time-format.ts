const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The two largest units of a duration, seconds rounded up so a countdown never shows 0s before it ends: "3d 4h", "3h 12m", "4m 05s", "42s". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / SECOND));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A countdown to `target`: "in 3h 12m", or "expired" once it has passed. */
export function formatCountdown(target: number, now: number): string {
  return target > now ? `in ${formatDuration(target - now)}` : 'expired';
}

/** How long ago: "just now", "42s ago", "5m ago", "3h ago", "2d ago"; "never" for null. */
export function formatRelative(past: number | null, now: number): string {
  if (past === null) return 'never';
  const ago = now - past;
  if (ago < 5 * SECOND) return 'just now';
  if (ago < MINUTE) return `${Math.floor(ago / SECOND)}s ago`;
  if (ago < HOUR) return `${Math.floor(ago / MINUTE)}m ago`;
  if (ago < DAY) return `${Math.floor(ago / HOUR)}h ago`;
  return `${Math.floor(ago / DAY)}d ago`;
}

/** "waiting 4m": how long a request has waited. */
export function formatWaiting(since: number, now: number): string {
  return `waiting ${formatDuration(now - since).split(' ')[0]}`;
}
