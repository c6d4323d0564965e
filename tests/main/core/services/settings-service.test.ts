import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdminEvent } from '../../../../src/shared/domain';
import { createGatehouse } from '../../../../src/main/core/gatehouse';
import { openSqliteStore } from '../../../../src/main/core/store/sqlite-store';
import { DEFAULT_SETTINGS } from '../../../../src/main/core/services/settings-service';
import { makeGatehouse, type TestGatehouse } from '../../../helpers/gatehouse';

let g: TestGatehouse;
beforeEach(async () => {
  g = await makeGatehouse();
});
afterEach(() => g.dispose());

describe('settings', () => {
  it('start from the defaults', () => {
    expect(g.settings.get()).toEqual(DEFAULT_SETTINGS);
  });

  it('update what is given, keep the rest, and answer the new settings', async () => {
    const next = await g.settings.update({ offline_threshold_seconds: 300, advertise_url: 'https://gh.lan' }, 'alice');
    expect(next).toEqual({ ...DEFAULT_SETTINGS, offline_threshold_seconds: 300, advertise_url: 'https://gh.lan' });
    expect(g.settings.get()).toEqual(next);
  });

  it('survive a restart', async () => {
    await g.settings.update({ token_prefix: 'LAB', lan_port: 8443 }, 'admin');
    const again = await createGatehouse({ databaseFile: join(g.dir, 'gatehouse.db'), secretKey: randomBytes(32) });
    try {
      expect(again.settings.get()).toMatchObject({ token_prefix: 'LAB', lan_port: 8443 });
    } finally {
      await again.close();
    }
  });

  it('record who changed what in the audit log and announce it after the commit', async () => {
    const events: AdminEvent[] = [];
    g.events.subscribe((e) => events.push(e));
    await g.settings.update({ offline_threshold_seconds: 120 }, 'alice');
    const [entry] = (await g.audit.list({ limit: 1 })).entries;
    expect(entry).toMatchObject({
      actor: 'alice',
      action: 'settings.updated',
      target_type: 'settings',
      detail: { offline_threshold_seconds: 120 },
    });
    expect(events).toContainEqual({ topic: 'settings', action: 'updated' });
  });

  it('reload picks up a change another server made to the shared store', async () => {
    const other = await createGatehouse({ databaseFile: join(g.dir, 'gatehouse.db'), secretKey: randomBytes(32) });
    try {
      await other.settings.update({ offline_threshold_seconds: 600 }, 'bob');
      expect(g.settings.get().offline_threshold_seconds).toBe(90);
      expect((await g.settings.reload()).offline_threshold_seconds).toBe(600);
      expect(g.settings.get().offline_threshold_seconds).toBe(600);
    } finally {
      await other.close();
    }
  });

  it('fall back to the default for a stored value that is not JSON', async () => {
    await g.settings.update({ token_prefix: 'LAB' }, 'admin');
    // A damaged row, as a hand edit might leave it.
    const writer = (g.store as ReturnType<typeof openSqliteStore>).writer;
    writer.prepare("UPDATE settings SET value = 'not json' WHERE key = 'token_prefix'").run();
    expect((await g.settings.reload()).token_prefix).toBe(DEFAULT_SETTINGS.token_prefix);
  });
});

describe('keys that are not site settings', () => {
  it('never reach settings.get (the sealed mail settings share the table)', async () => {
    const g = await makeGatehouse();
    try {
      await g.store.write((tx) => tx.settings.write('mail', { host: 'smtp.lab', password_sealed: 'x' }));
      await g.settings.reload();
      expect(Object.keys(g.settings.get()).sort()).toEqual(Object.keys(DEFAULT_SETTINGS).sort());
    } finally {
      await g.dispose();
    }
  });
});
