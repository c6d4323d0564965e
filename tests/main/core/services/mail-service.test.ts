import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiError } from '../../../../src/shared/api/errors';
import { dispatch } from '../../../../src/main/core/api/dispatch';
import type { CreatedToken } from '../../../../src/shared/domain';
import { makeGatehouse, type TestGatehouse } from '../../../helpers/gatehouse';

let g: TestGatehouse;
let chat: Server;
let chatUrl: string;
const posted: { body: string; signature: string }[] = [];

beforeEach(async () => {
  g = await makeGatehouse();
  posted.length = 0;
  chat = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      posted.push({ body, signature: String(req.headers['gatehouse-signature']) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => chat.listen(0, '127.0.0.1', resolve));
  chatUrl = `http://127.0.0.1:${(chat.address() as AddressInfo).port}/services/T0/B0/x`;
});
afterEach(async () => {
  chat.closeAllConnections();
  await new Promise((resolve) => chat.close(resolve));
  await g.dispose();
});

/** Answers are checked field by field below, so they are taken as unknown. */
const call = (name: Parameters<typeof dispatch>[1], input: Record<string, unknown>): Promise<unknown> =>
  dispatch(g.handlers, name, input, { actor: 'alice', scope: 'admin' });
const token = () =>
  call('tokens.create', { expires_in_hours: 4, max_uses: 1, description: 'node 7' }) as Promise<CreatedToken>;

describe('mail settings', () => {
  it('reads as unconfigured until saved', async () => {
    expect(await call('mail.settings.get', {})).toMatchObject({ configured: false, password_set: false });
  });

  it('keeps the saved password when an update omits it, and clears it when empty', async () => {
    const base = { host: 'smtp.example.test', port: 587, security: 'starttls', user: 'u', from: 'g@example.test' };
    await call('mail.settings.update', { ...base, password: 'hunter2-smtp' });
    expect(await call('mail.settings.update', { ...base, port: 2525 })).toMatchObject({
      port: 2525,
      password_set: true,
    });
    expect(await call('mail.settings.update', { ...base, password: '' })).toMatchObject({ password_set: false });
    const audit = JSON.stringify(await call('audit.list', { action: 'mail.settings_updated' }));
    expect(audit).not.toContain('hunter2-smtp');
    expect(audit).toContain('"password":"changed"');
  });

  it('refuses a bad from address naming the field', async () => {
    const error = (await call('mail.settings.update', {
      host: 'smtp.example.test',
      port: 25,
      security: 'none',
      from: 'not-an-address',
    }).catch((e) => e)) as ApiError;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('from');
  });
});

describe('tokens.send', () => {
  it('refuses email before a mail server is set up, and an unknown webhook id', async () => {
    const t = await token();
    const noMail = (await call('tokens.send', { id: t.id, to: 'tech@example.test' }).catch((e) => e)) as ApiError;
    expect(noMail.code).toBe('CONFLICT');
    const noHook = (await call('tokens.send', { id: t.id, to: crypto.randomUUID() }).catch((e) => e)) as ApiError;
    expect(noHook.code).toBe('NOT_FOUND');
  });

  it('posts the join command to a Slack webhook as a message Slack accepts, and keeps no token in the log', async () => {
    const t = await token();
    const hook = (await call('webhooks.create', { url: chatUrl, events: ['alarm'], preset: 'slack' })) as {
      id: string;
    };
    const result = await call('tokens.send', { id: t.id, to: hook.id });
    expect(result).toEqual({ via: 'webhook', to: hook.id, delivered: true, error: null });
    expect(posted).toHaveLength(1);
    const body = JSON.parse(posted[0]!.body) as { text: string; blocks: { type: string }[] };
    expect(Object.keys(body).sort()).toEqual(['blocks', 'text']);
    expect(body.text).toContain(t.join_command);
    expect(body.blocks.map((b) => b.type)).toEqual(['section', 'context']);
    expect(posted[0]!.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    const log = (await call('webhooks.deliveries', { id: hook.id })) as { deliveries: Record<string, unknown>[] };
    expect(log.deliveries).toMatchObject([{ event: 'token.join_instructions', state: 'delivered', attempts: 1 }]);
    const stored = await g.store.read((r) => r.webhooks.findDelivery(log.deliveries[0]!.id as string));
    expect(stored!.body).not.toContain(t.token);
    const audit = JSON.stringify(await call('audit.list', { target_id: t.id }));
    expect(audit).toContain('token.sent');
    expect(audit).not.toContain(t.token);
  });

  it('refuses a token that can no longer be used', async () => {
    const t = await token();
    await call('tokens.revoke', { id: t.id });
    const hook = (await call('webhooks.create', { url: chatUrl, events: ['*'], preset: 'mattermost' })) as {
      id: string;
    };
    const error = (await call('tokens.send', { id: t.id, to: hook.id }).catch((e) => e)) as ApiError;
    expect(error.code).toBe('TOKEN_NOT_VALID');
    expect(posted).toHaveLength(0);
  });
});
