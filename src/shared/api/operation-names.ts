/**
 * The names of the admin operations, and nothing else: the preload bridge is built
 * from this list without pulling the schemas (zod) into the sandboxed preload.
 * `operations.ts` must define exactly these keys (checked by its type).
 */
export const OPERATION_NAMES = [
  'tokens.list',
  'tokens.create',
  'tokens.get',
  'tokens.revoke',
  'tokens.delete',
  'tokens.reveal',
  'tokens.qr',
  'hosts.list',
  'hosts.counts',
  'hosts.get',
  'hosts.approve',
  'hosts.reject',
  'hosts.disable',
  'hosts.enable',
  'hosts.delete',
  'hosts.bulk',
  'audit.list',
  'settings.get',
  'settings.update',
  'system.info',
  'certificate.regenerate',
  'credentials.list',
  'credentials.create',
  'credentials.revoke',
  'inventory.export',
  'expected.import',
  'expected.list',
  'expected.sheet',
  'rules.list',
  'rules.create',
  'rules.reorder',
  'rules.update',
  'rules.delete',
  'webhooks.list',
  'webhooks.create',
  'webhooks.delete',
  'webhooks.test',
  'webhooks.deliveries',
  'mail.settings.get',
  'mail.settings.update',
  'tokens.send',
] as const;

export type OperationName = (typeof OPERATION_NAMES)[number];

/** The IPC channel of each operation, and of the event stream. */
export const IPC_CHANNEL_PREFIX = 'gatehouse:op:';
export const IPC_EVENT_CHANNEL = 'gatehouse:event';
export const IPC_DESKTOP_CHANNELS = {
  secretOnScreen: 'gatehouse:desktop:secret-on-screen',
  copySecret: 'gatehouse:desktop:copy-secret',
  navigate: 'gatehouse:desktop:navigate',
  teamServerStatus: 'gatehouse:desktop:team-server:status',
  teamServerConnect: 'gatehouse:desktop:team-server:connect',
  teamServerDisconnect: 'gatehouse:desktop:team-server:disconnect',
  backupState: 'gatehouse:desktop:backups:state',
  backupSetSchedule: 'gatehouse:desktop:backups:set-schedule',
  backupRunNow: 'gatehouse:desktop:backups:run-now',
  saveSheetPdf: 'gatehouse:desktop:sheet-pdf',
} as const;
