import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../src/shared/api/errors';
import { makeGatehouse, registration, type TestGatehouse } from '../../../helpers/gatehouse';

const HOUR = 3_600_000;
let g: TestGatehouse;
beforeEach(() => {
  g = makeGatehouse();
});
afterEach(() => g.dispose());

const create = (over: Record<string, unknown> = {}) =>
  g.tokens.create({ expires_in_hours: 4, max_uses: 5, ...over } as never, 'admin');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
  return undefined;
}

const register = (token: string, over: Record<string, unknown> = {}) =>
  g.enrolment.register(registration(token, over) as never, '10.0.0.7');

describe('creating a token', () => {
  it('answers the token object, the token text once, join_url and join_command', () => {
    const t = create({ description: 'rack B', labels: ['rack=b12', 'gpu'] });
    expect(t).toMatchObject({ description: 'rack B', max_uses: 5, use_count: 0, state: 'active', is_valid: true });
    expect(t.token).toMatch(/^GATE(-[0-9A-Z]{4}){7}$/);
    expect(t.prefix).toBe(t.token.slice(0, 9));
    expect(t.expires_at).toBe(new Date(g.clock.now() + 4 * HOUR).toISOString());
    expect(t.join_url).toBe(`https://192.0.2.10:7443/join#token=${t.token}&pin=AAAAtestpin%3D`);
    expect(t.join_command).toContain(`--pinnedpubkey 'sha256//AAAAtestpin='`);
    expect(t.join_command).toContain(`| sh -s -- '${t.token}'`);
    expect(g.tokens.get(t.id)).not.toHaveProperty('token');
  });

  it('takes an explicit expires_at and refuses one in the past', () => {
    const at = new Date(g.clock.now() + 90 * 60_000).toISOString();
    expect(create({ expires_in_hours: undefined, expires_at: at }).expires_at).toBe(at);
    const past = new Date(g.clock.now() - 1000).toISOString();
    expect(codeOf(() => create({ expires_in_hours: undefined, expires_at: past }))).toBe('VALIDATION_FAILED');
  });

  it('uses the prefix setting', () => {
    g.settings.update({ token_prefix: 'LAB' }, 'admin');
    expect(create().token).toMatch(/^LAB-/);
  });
});

describe('validity', () => {
  it('is active until expires_at, then expired', () => {
    const t = create({ expires_in_hours: 1 });
    g.clock.advance(HOUR - 1);
    expect(g.tokens.get(t.id)).toMatchObject({ state: 'active', is_valid: true });
    g.clock.advance(1);
    expect(g.tokens.get(t.id)).toMatchObject({ state: 'expired', is_valid: false });
    expect(codeOf(() => register(t.token))).toBe('TOKEN_EXPIRED');
  });

  it('is exhausted once use_count reaches max_uses', () => {
    const t = create({ max_uses: 2 });
    register(t.token);
    register(t.token);
    expect(g.tokens.get(t.id)).toMatchObject({ state: 'exhausted', use_count: 2, is_valid: false });
    expect(codeOf(() => register(t.token))).toBe('TOKEN_EXHAUSTED');
    expect(g.tokens.get(t.id).use_count).toBe(2);
  });

  it('with max_uses 0 never runs out', () => {
    const t = create({ max_uses: 0 });
    for (let i = 0; i < 30; i++) register(t.token);
    expect(g.tokens.get(t.id)).toMatchObject({ state: 'active', use_count: 30 });
  });

  it('is revoked after revoke, whatever else holds', () => {
    const t = create();
    const revoked = g.tokens.revoke(t.id, 'admin');
    expect(revoked).toMatchObject({ state: 'revoked', is_valid: false });
    expect(revoked.revoked_at).toBe(new Date(g.clock.now()).toISOString());
    expect(codeOf(() => register(t.token))).toBe('TOKEN_REVOKED');
  });

  it('refuses unknown tokens as TOKEN_INVALID and typos as TOKEN_MALFORMED', () => {
    const t = create();
    g.tokens.delete(t.id, 'admin');
    expect(codeOf(() => register(t.token))).toBe('TOKEN_INVALID');
    const typo = t.token.slice(0, -1) + (t.token.endsWith('0') ? '1' : '0');
    expect(codeOf(() => register(typo))).toBe('TOKEN_MALFORMED');
  });

  it('refuses a failed check character without touching the database', () => {
    const t = create();
    const typo = t.token.slice(0, -1) + (t.token.endsWith('0') ? '1' : '0');
    g.db.close(); // any look-up would now throw, and surface as something other than TOKEN_MALFORMED
    expect(codeOf(() => register(typo))).toBe('TOKEN_MALFORMED');
  });

  it('counts refused uses of a known token with the last source address', () => {
    const t = create({ max_uses: 1 });
    register(t.token);
    expect(codeOf(() => g.enrolment.register(registration(t.token) as never, '::ffff:10.9.8.7'))).toBe(
      'TOKEN_EXHAUSTED',
    );
    expect(g.tokens.get(t.id).failed_attempts).toMatchObject({ count: 1, last_source: '10.9.8.7' });
  });
});

describe('listing, revoking and deleting', () => {
  it('hides expired tokens unless include_expired', () => {
    const old = create({ expires_in_hours: 1 });
    const current = create({ expires_in_hours: 24 });
    g.clock.advance(2 * HOUR);
    expect(g.tokens.list(false).tokens.map((t) => t.id)).toEqual([current.id]);
    expect(g.tokens.list(true)).toMatchObject({ total_count: 2 });
    expect(
      g.tokens
        .list(true)
        .tokens.map((t) => t.id)
        .sort(),
    ).toEqual([old.id, current.id].sort());
  });

  it('deletes a token for good; its hosts stay', () => {
    const t = create();
    const host = register(t.token);
    g.tokens.delete(t.id, 'admin');
    expect(codeOf(() => g.tokens.get(t.id))).toBe('NOT_FOUND');
    expect(g.hosts.get(host.host_id)).toMatchObject({ status: 'PENDING', token_id: null, token_prefix: t.prefix });
  });

  it('names every host that used it in the single-token answer', () => {
    const t = create({ max_uses: 0 });
    const ids = Array.from({ length: 25 }, () => register(t.token).host_id);
    expect(
      g.tokens
        .get(t.id)
        .used_by_nodes.map((n) => n.host_id)
        .sort(),
    ).toEqual(ids.sort());
  });

  it('re-shows an active token, and refuses once it is revoked', () => {
    const t = create();
    expect(g.tokens.reveal(t.id, 'admin').token).toBe(t.token);
    g.tokens.revoke(t.id, 'admin');
    expect(codeOf(() => g.tokens.reveal(t.id, 'admin'))).toBe('TOKEN_NOT_VALID');
  });
});

describe('audit', () => {
  it('records who did what to which token, and never the token text', () => {
    const t = create({ description: 'audit me' });
    g.tokens.revoke(t.id, 'alice');
    g.tokens.delete(t.id, 'bob');
    const { entries } = g.audit.list({});
    expect(entries.map((e) => [e.actor, e.action, e.target_id])).toEqual([
      ['bob', 'token.deleted', t.id],
      ['alice', 'token.revoked', t.id],
      ['admin', 'token.created', t.id],
    ]);
    const body = t.token.slice(5).replace(/-/g, '');
    expect(JSON.stringify(entries)).not.toContain(body.slice(4));
  });

  it('pages newest first with a cursor', () => {
    for (let i = 0; i < 5; i++) create();
    const first = g.audit.list({ limit: 2 });
    expect(first.entries).toHaveLength(2);
    const second = g.audit.list({ limit: 2, before: first.next_cursor! });
    expect(second.entries[0]!.id).toBeLessThan(first.entries[1]!.id);
    const last = g.audit.list({ limit: 2, before: second.next_cursor! });
    expect(last).toMatchObject({ next_cursor: null });
    expect(last.entries).toHaveLength(1);
  });
});

describe('sealed copies', () => {
  const sealed = (id: string) =>
    g.db.prepare('SELECT token_sealed FROM registration_tokens WHERE id = ?').pluck().get(id);

  it('are forgotten when the last use is taken', () => {
    const t = create({ max_uses: 1 });
    expect(sealed(t.id)).not.toBeNull();
    register(t.token);
    expect(sealed(t.id)).toBeNull();
  });

  it('are forgotten by the sweep once a token expires, and kept while it is active', () => {
    const old = create({ expires_in_hours: 1 });
    const current = create({ expires_in_hours: 24 });
    g.clock.advance(2 * HOUR);
    g.enrolment.sweep();
    expect(sealed(old.id)).toBeNull();
    expect(sealed(current.id)).not.toBeNull();
  });
});
