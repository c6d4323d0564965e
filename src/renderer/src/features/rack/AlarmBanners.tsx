import { useApp } from '../../stores/context';

/** Alarms raised while the app is open (a clone, a reused credential, a replayed token), each until dismissed. */
export function AlarmBanners() {
  const { alarms, dismiss, showHost } = useApp((s) => ({
    alarms: s.alarms,
    dismiss: s.dismissAlarm,
    showHost: s.showHost,
  }));
  if (alarms.length === 0) return null;
  return (
    <div className="alarm-banners">
      {alarms.map((alarm) => (
        <div key={alarm.key} className="banner banner-alarm" role="alert">
          <p>
            <span className="strong">Alarm. </span>
            {alarm.text}
          </p>
          <div className="actions-left">
            {alarm.hostId && (
              <button type="button" onClick={() => showHost(alarm.hostId)}>
                Show host
              </button>
            )}
            <button type="button" className="link" onClick={() => dismiss(alarm.key)}>
              Dismiss<span className="visually-hidden"> this alarm</span>
            </button>
          </div>
        </div>
      ))}
    </div>
  );
}
