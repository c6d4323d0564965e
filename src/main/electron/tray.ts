import { Menu, Notification, Tray, nativeImage } from 'electron';
import type { Host } from '../../shared/domain';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** The tray icon with the number of hosts waiting for approval, and of approved hosts offline. */
export function createPendingTray(options: { iconPath: string; onOpen(): void; onQuit(): void }) {
  const tray = new Tray(nativeImage.createFromPath(options.iconPath));
  const render = (pending: number, offline = 0) => {
    const label = pending === 0 ? 'No host waiting' : `${plural(pending, 'host')} waiting for approval`;
    const down = offline > 0 ? `${plural(offline, 'host')} offline` : '';
    tray.setToolTip(`Gatehouse — ${label}${down ? ` · ${down}` : ''}`);
    tray.setTitle(pending > 0 ? String(pending) : '');
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label, enabled: false },
        ...(down ? [{ label: down, enabled: false }] : []),
        { type: 'separator' },
        { label: 'Open Gatehouse', click: options.onOpen },
        { label: 'Quit', click: options.onQuit },
      ]),
    );
  };
  tray.on('click', options.onOpen);
  render(0);
  return { update: render, destroy: () => tray.destroy() };
}

/** A native notification for a new request; clicking it opens the approval queue. */
export function notifyPendingHost(host: Host, onClick: () => void): void {
  if (!Notification.isSupported()) return;
  const code = `${host.verification_code.slice(0, 3)} ${host.verification_code.slice(3)}`;
  const notification = new Notification({
    title: host.replaces ? `Re-enrolment waiting: ${host.hostname}` : `Host waiting for approval: ${host.hostname}`,
    body: `Verification code ${code} · from ${host.remote_addr}`,
  });
  notification.on('click', onClick);
  notification.show();
}

/** A native notification when approved hosts drop offline; clicking it opens the hosts page. */
export function notifyOffline(newlyOffline: number, totalOffline: number, onClick: () => void): void {
  if (!Notification.isSupported() || newlyOffline <= 0) return;
  const notification = new Notification({
    title: `${plural(newlyOffline, 'host')} went offline`,
    body: `${plural(totalOffline, 'approved host')} offline now. Open Gatehouse to see which.`,
  });
  notification.on('click', onClick);
  notification.show();
}
