import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../src/shared/api/errors';
import type { ParsedInput } from '../../../../src/shared/api/operations';
import type { RegisterHostInput } from '../../../../src/shared/api/schemas';
import { openSqliteStore } from '../../../../src/main/core/store/sqlite-store';
import type { Store } from '../../../../src/main/core/store/store';
import { makeGatehouse, registration, type TestGatehouse } from '../../../helpers/gatehouse';

const HOUR = 3_600_000;
let g: TestGatehouse;
beforeEach(async () => {
  g = await makeGatehouse();
});
afterEach(() => g.dispose());

const create = (over: Partial<ParsedInput<'tokens.create'>> = {}) =>
  g.tokens.create({ expires_in_hours: 4, max_uses: 5, ...over }, 'admin');

/** The contract code a refused call answers; fails the test if the call succeeds. */
async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

const register = (token: string, over: Partial<RegisterHostInput> = {}, source = '10.0.0.7') =>
  g.enrolment.register(registration(token, over) as RegisterHostInput, source);

const sealed = async (id: string) => (await g.store.read((r) => r.tokens.findById(id)))!.token_sealed;

describe('creating a token', () => {
  it('answers the token object, the token text once, join_url and join_command', async () => {
    const t = await create({ description: 'rack B', labels: ['rack=b12', 'gpu'] });
    expect(t).toMatchObject({ description: 'rack B', max_uses: 5, use_count: 0, state: 'active', is_valid: true });
    expect(t.labels).toEqual(['rack=b12', 'gpu']);
    expect(t.token).toMatch(/^GATE(-[0-9A-Z]{4}){7}$/);
    expect(t.prefix).toBe(t.token.slice(0, 9));
    expect(t.expires_at).toBe(new Date(g.clock.now() + 4 * HOUR).toISOString());
    expect(t.join_url).toBe(`https://192.0.2.10:7443/join#token=${t.token}&pin=AAAAtestpin%3D`);
    expect(t.join_command).toContain(`--pinnedpubkey 'sha256//AAAAtestpin='`);
    expect(t.join_command).toContain(`GATEHOUSE_TOKEN='${t.token}' sh`);
    expect(await g.tokens.get(t.id)).not.toHaveProperty('token');
  });

  it('takes an explicit expires_at and refuses one in the past', async () => {
    const at = new Date(g.clock.now() + 90 * 60_000).toISOString();
    expect((await create({ expires_in_hours: undefined, expires_at: at })).expires_at).toBe(at);
    const past = new Date(g.clock.now() - 1000).toISOString();
    expect(await codeOf(create({ expires_in_hours: undefined, expires_at: past }))).toBe('VALIDATION_FAILED');
    expect((await g.tokens.list(true)).total_count).toBe(1);
  });

  it('uses the prefix setting', async () => {
    await g.settings.update({ token_prefix: 'LAB' }, 'admin');
    expect((await create()).token).toMatch(/^LAB-/);
  });
});

describe('validity', () => {
  it('is active until expires_at, then expired', async () => {
    const t = await create({ expires_in_hours: 1 });
    g.clock.advance(HOUR - 1);
    expect(await g.tokens.get(t.id)).toMatchObject({ state: 'active', is_valid: true });
    g.clock.advance(1);
    expect(await g.tokens.get(t.id)).toMatchObject({ state: 'expired', is_valid: false });
    expect(await codeOf(register(t.token))).toBe('TOKEN_EXPIRED');
  });

  it('is exhausted once use_count reaches max_uses', async () => {
    const t = await create({ max_uses: 2 });
    await register(t.token);
    await register(t.token);
    expect(await g.tokens.get(t.id)).toMatchObject({ state: 'exhausted', use_count: 2, is_valid: false });
    expect(await codeOf(register(t.token))).toBe('TOKEN_EXHAUSTED');
    expect((await g.tokens.get(t.id)).use_count).toBe(2);
  });

  it('with max_uses 0 never runs out', async () => {
    const t = await create({ max_uses: 0 });
    for (let i = 0; i < 30; i++) await register(t.token);
    expect(await g.tokens.get(t.id)).toMatchObject({ state: 'active', use_count: 30 });
  });

  it('never passes max_uses when many registrations race in one batch', async () => {
    const t = await create({ max_uses: 5 });
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => register(t.token)));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(5);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'TOKEN_EXHAUSTED' });
    expect((await g.tokens.get(t.id)).use_count).toBe(5);
    expect((await g.hosts.list({})).total_count).toBe(5);
  });

  it('is revoked after revoke, whatever else holds', async () => {
    const t = await create();
    const revoked = await g.tokens.revoke(t.id, 'admin');
    expect(revoked).toMatchObject({ state: 'revoked', is_valid: false });
    expect(revoked.revoked_at).toBe(new Date(g.clock.now()).toISOString());
    expect(await codeOf(register(t.token))).toBe('TOKEN_REVOKED');
  });

  it('refuses unknown tokens as TOKEN_INVALID and typos as TOKEN_MALFORMED', async () => {
    const t = await create();
    await g.tokens.delete(t.id, 'admin');
    expect(await codeOf(register(t.token))).toBe('TOKEN_INVALID');
    const typo = t.token.slice(0, -1) + (t.token.endsWith('0') ? '1' : '0');
    expect(await codeOf(register(typo))).toBe('TOKEN_MALFORMED');
  });

  it('refuses a failed check character without touching the store', async () => {
    const file = `${g.dir}/counted.db`;
    const real = openSqliteStore(file);
    let calls = 0;
    const counted: Store = {
      ...real,
      write: (work) => (calls++, real.write(work)),
      read: (work) => (calls++, real.read(work)),
    };
    const other = await makeGatehouse({ store: counted });
    try {
      const t = await other.tokens.create({ expires_in_hours: 1, max_uses: 1 }, 'admin');
      const typo = t.token.slice(0, -1) + (t.token.endsWith('0') ? '1' : '0');
      calls = 0;
      expect(await codeOf(other.enrolment.register(registration(typo) as RegisterHostInput, '10.0.0.7'))).toBe(
        'TOKEN_MALFORMED',
      );
      expect(calls).toBe(0);
    } finally {
      await other.dispose();
    }
  });

  it('counts refused uses of a known token with the last source address', async () => {
    const t = await create({ max_uses: 1 });
    await register(t.token);
    expect(await codeOf(register(t.token, {}, '::ffff:10.9.8.7'))).toBe('TOKEN_EXHAUSTED');
    expect((await g.tokens.get(t.id)).failed_attempts).toMatchObject({
      count: 1,
      last_source: '10.9.8.7',
      last_at: new Date(g.clock.now()).toISOString(),
    });
  });
});

describe('listing, revoking and deleting', () => {
  it('hides expired tokens unless include_expired', async () => {
    const old = await create({ expires_in_hours: 1 });
    const current = await create({ expires_in_hours: 24 });
    g.clock.advance(2 * HOUR);
    expect((await g.tokens.list(false)).tokens.map((t) => t.id)).toEqual([current.id]);
    const all = await g.tokens.list(true);
    expect(all).toMatchObject({ total_count: 2 });
    expect(all.tokens.map((t) => t.id).sort()).toEqual([old.id, current.id].sort());
  });

  it('deletes a token for good; its hosts stay', async () => {
    const t = await create();
    const host = await register(t.token);
    await g.tokens.delete(t.id, 'admin');
    expect(await codeOf(g.tokens.get(t.id))).toBe('NOT_FOUND');
    expect(await g.hosts.get(host.host_id)).toMatchObject({
      status: 'PENDING',
      token_id: null,
      token_prefix: t.prefix,
    });
  });

  it('answers NOT_FOUND for revoking or deleting an unknown token', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await codeOf(g.tokens.revoke(unknown, 'admin'))).toBe('NOT_FOUND');
    expect(await codeOf(g.tokens.delete(unknown, 'admin'))).toBe('NOT_FOUND');
  });

  it('names every host that used it in the single-token answer, at most 20 in the list', async () => {
    const t = await create({ max_uses: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push((await register(t.token)).host_id);
    expect((await g.tokens.get(t.id)).used_by_nodes.map((n) => n.host_id).sort()).toEqual([...ids].sort());
    expect((await g.tokens.list(false)).tokens[0]!.used_by_nodes).toHaveLength(20);
  });

  it('re-shows an active token, and refuses once it is revoked', async () => {
    const t = await create();
    expect((await g.tokens.reveal(t.id, 'admin')).token).toBe(t.token);
    await g.tokens.revoke(t.id, 'admin');
    expect(await codeOf(g.tokens.reveal(t.id, 'admin'))).toBe('TOKEN_NOT_VALID');
  });

  it('draws a QR code of the join command', async () => {
    const t = await create();
    const svg = await g.tokens.qr(t.id, 'svg', 'command', 'admin');
    expect(svg.content_type).toBe('image/svg+xml');
    expect(svg.data).toMatch(/^<svg/);
    const png = await g.tokens.qr(t.id, 'png', 'link', 'admin');
    expect(Buffer.from(png.data, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });
});

describe('audit', () => {
  it('records who did what to which token, and never the token text', async () => {
    const t = await create({ description: 'audit me' });
    await g.tokens.revoke(t.id, 'alice');
    await g.tokens.delete(t.id, 'bob');
    const { entries } = await g.audit.list({});
    expect(entries.map((e) => [e.actor, e.action, e.target_id])).toEqual([
      ['bob', 'token.deleted', t.id],
      ['alice', 'token.revoked', t.id],
      ['admin', 'token.created', t.id],
    ]);
    const body = t.token.slice(5).replace(/-/g, '');
    expect(JSON.stringify(entries)).not.toContain(body.slice(4));
  });

  it('pages newest first with a cursor', async () => {
    for (let i = 0; i < 5; i++) await create();
    const first = await g.audit.list({ limit: 2 });
    expect(first.entries).toHaveLength(2);
    const second = await g.audit.list({ limit: 2, before: first.next_cursor! });
    expect(second.entries[0]!.id).toBeLessThan(first.entries[1]!.id);
    const last = await g.audit.list({ limit: 2, before: second.next_cursor! });
    expect(last).toMatchObject({ next_cursor: null });
    expect(last.entries).toHaveLength(1);
  });
});

describe('events', () => {
  it('announces creation, use and revocation on the bus after each commit', async () => {
    const seen: string[] = [];
    g.events.subscribe((e) => {
      if (e.topic === 'tokens') seen.push(e.action);
    });
    const t = await create({ max_uses: 2 });
    await register(t.token);
    await register(t.token);
    await codeOf(register(t.token));
    await g.tokens.revoke(t.id, 'admin');
    expect(seen).toEqual(['created', 'used', 'exhausted', 'failed_attempt', 'revoked']);
  });
});

describe('sealed copies', () => {
  it('are forgotten when the last use is taken', async () => {
    const t = await create({ max_uses: 1 });
    expect(await sealed(t.id)).not.toBeNull();
    await register(t.token);
    expect(await sealed(t.id)).toBeNull();
  });

  it('are forgotten by the sweep once a token expires, and kept while it is active', async () => {
    const old = await create({ expires_in_hours: 1 });
    const current = await create({ expires_in_hours: 24 });
    g.clock.advance(2 * HOUR);
    await g.enrolment.sweep();
    expect(await sealed(old.id)).toBeNull();
    expect(await sealed(current.id)).not.toBeNull();
  });
});

describe('ephemeral tokens', () => {
  it('keep their offline limit on the token, in the same unit of work as its creation', async () => {
    const g = await makeGatehouse();
    try {
      const created = await g.tokens.create(
        { expires_in_hours: 1, max_uses: 0, ephemeral_offline_minutes: 30 },
        'admin',
      );
      expect(created.ephemeral_offline_minutes).toBe(30);
      expect((await g.tokens.get(created.id)).ephemeral_offline_minutes).toBe(30);
      const plain = await g.tokens.create({ expires_in_hours: 1, max_uses: 0 }, 'admin');
      expect(plain.ephemeral_offline_minutes).toBeNull();
      const audit = (await g.audit.list({ target_id: created.id })).entries;
      expect(audit.map((e) => e.action)).toEqual(['token.created']);
      expect(audit[0]!.detail).toMatchObject({ ephemeral_offline_minutes: 30 });
    } finally {
      await g.dispose();
    }
  });
});
