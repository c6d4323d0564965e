import { useNow } from '../stores/context';
import { formatCountdown, formatRelative } from '../lib/time-format';

/** "in 3h 12m", ticking from the shared clock; "expired" the moment it passes. */
export function Countdown({ to }: { to: string }) {
  const now = useNow();
  const target = Date.parse(to);
  return (
    <time className="tabular" dateTime={to} title={new Date(target).toLocaleString()}>
      {formatCountdown(target, now)}
    </time>
  );
}

/** "5m ago" from the shared clock, with the exact time on hover. */
export function RelativeTime({ at }: { at: string | null }) {
  const now = useNow();
  if (at === null) return <span className="muted">never</span>;
  return (
    <time className="tabular" dateTime={at} title={new Date(at).toLocaleString()}>
      {formatRelative(Date.parse(at), now)}
    </time>
  );
}

const ABSOLUTE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** The exact local time, for records that need it (audit, history). */
export function AbsoluteTime({ at }: { at: string }) {
  return (
    <time className="tabular" dateTime={at}>
      {ABSOLUTE.format(new Date(at))}
    </time>
  );
}
