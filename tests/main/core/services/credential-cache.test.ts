import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../src/shared/api/errors';
import type { RegisterHostInput } from '../../../../src/shared/api/schemas';
import { createCredentialCache } from '../../../../src/main/core/services/credential-cache';
import type { HostRecord } from '../../../../src/main/core/store/repositories';
import { makeGatehouse, registration, type TestGatehouse } from '../../../helpers/gatehouse';

let g: TestGatehouse;
beforeEach(async () => {
  g = await makeGatehouse();
});
afterEach(() => g.dispose());

async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** An approved host whose credential has been looked up once (so it is cached). */
async function cachedHost() {
  const t = await g.tokens.create({ expires_in_hours: 1, max_uses: 0, auto_approve: true }, 'admin');
  const r = await g.enrolment.register(registration(t.token) as RegisterHostInput, '10.0.0.7');
  const host = await g.enrolment.authenticate(r.host_token);
  expect(host.status).toBe('APPROVED');
  await g.enrolment.heartbeat(host);
  // Served from memory now: a second look-up must not read the store.
  expect(await g.enrolment.authenticate(r.host_token)).toBe(await g.enrolment.authenticate(r.host_token));
  return r;
}

describe('cached host credentials', () => {
  it('see a disable at once', async () => {
    const r = await cachedHost();
    await g.hosts.decide(r.host_id, 'disable', 'admin');
    const host = await g.enrolment.authenticate(r.host_token);
    expect(host.status).toBe('DISABLED');
    expect(await refusal(g.enrolment.heartbeat(host))).toBe('HOST_DISABLED');
  });

  it('see a rejection, with its reason, at once', async () => {
    const r = await cachedHost();
    await g.hosts.decide(r.host_id, 'reject', 'admin', 'stolen');
    const host = await g.enrolment.authenticate(r.host_token);
    expect(host).toMatchObject({ status: 'REJECTED', reject_reason: 'stolen' });
    expect(await refusal(g.enrolment.heartbeat(host))).toBe('HOST_REJECTED');
  });

  it('see a bulk disable at once', async () => {
    const r = await cachedHost();
    await g.hosts.bulk({ action: 'disable', ids: [r.host_id] }, 'admin');
    expect((await g.enrolment.authenticate(r.host_token)).status).toBe('DISABLED');
  });

  it('die with a deleted host at once', async () => {
    const r = await cachedHost();
    await g.hosts.delete(r.host_id, 'admin');
    expect(await refusal(g.enrolment.authenticate(r.host_token))).toBe('UNAUTHORIZED');
  });

  it('die with a host deleted in bulk at once', async () => {
    const r = await cachedHost();
    await g.hosts.bulk({ action: 'delete', ids: [r.host_id] }, 'admin');
    expect(await refusal(g.enrolment.authenticate(r.host_token))).toBe('UNAUTHORIZED');
  });

  it('follow a rotation: the old one dies once the new one is first used', async () => {
    const r = await cachedHost();
    const { host_token: next } = await g.enrolment.rotate(await g.enrolment.authenticate(r.host_token));
    expect((await g.enrolment.authenticate(r.host_token)).id).toBe(r.host_id);
    expect((await g.enrolment.authenticate(next)).current).toBe(true);
    expect(await refusal(g.enrolment.authenticate(r.host_token))).toBe('UNAUTHORIZED');
    expect((await g.enrolment.authenticate(next)).id).toBe(r.host_id);
  });
});

describe('the credential cache', () => {
  const record = (id: string): HostRecord =>
    ({ id, hostname: id, status: 'APPROVED', reject_reason: null, last_seen_at: null }) as HostRecord;

  it('holds at most maxEntries, dropping the oldest first', () => {
    const cache = createCredentialCache({ maxEntries: 3 });
    const hashes = Array.from({ length: 4 }, () => randomBytes(32));
    hashes.forEach((hash, i) => cache.set(hash, record(`h${i}`), true));
    expect(cache.size).toBe(3);
    expect(cache.get(hashes[0]!)).toBeUndefined();
    expect(hashes.slice(1).map((h) => cache.get(h)?.id)).toEqual(['h1', 'h2', 'h3']);
  });

  it('drops every credential of a host on invalidate, and only those', () => {
    const cache = createCredentialCache();
    const [current, next, other] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    cache.set(current, record('h1'), true);
    cache.set(next, record('h1'), false);
    cache.set(other, record('h2'), true);
    cache.invalidate('h1');
    expect(cache.get(current)).toBeUndefined();
    expect(cache.get(next)).toBeUndefined();
    expect(cache.get(other)?.id).toBe('h2');
    expect(cache.size).toBe(1);
  });
});
