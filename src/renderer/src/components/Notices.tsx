import { useEffect } from 'react';
import { useApp } from '../stores/context';

/** Toasts: info fades after 5 s, errors stay until dismissed. Announced to screen readers. */
export function Notices() {
  const { notices, dismiss } = useApp((s) => ({ notices: s.notices, dismiss: s.dismissNotice }));
  useEffect(() => {
    const timers = notices.filter((n) => n.kind === 'info').map((n) => setTimeout(() => dismiss(n.id), 5000));
    return () => timers.forEach(clearTimeout);
  }, [notices, dismiss]);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'}>
          <span>{n.text}</span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
