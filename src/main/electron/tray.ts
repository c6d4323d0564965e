import { Menu, Notification, Tray, nativeImage } from 'electron';
import type { Host } from '../../shared/domain';

/** The tray icon with the number of hosts waiting for approval. */
export function createPendingTray(options: { iconPath: string; onOpen(): void; onQuit(): void }) {
  const tray = new Tray(nativeImage.createFromPath(options.iconPath));
  const render = (pending: number) => {
    const label = pending === 0 ? 'No host waiting' : `${pending} host${pending === 1 ? '' : 's'} waiting for approval`;
    tray.setToolTip(`Gatehouse — ${label}`);
    tray.setTitle(pending > 0 ? String(pending) : '');
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label, enabled: false },
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
