import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGatehouse } from '../../../src/main/core/gatehouse';
import { startDesktop, type DesktopApp } from '../../../src/main/electron/desktop-app';
import { IPC_CHANNEL_PREFIX, IPC_DESKTOP_CHANNELS, IPC_EVENT_CHANNEL } from '../../../src/shared/api/operation-names';
import type { TeamServerStatus } from '../../../src/shared/api/bridge';
import type { AdminEvent, SystemInfo } from '../../../src/shared/domain';
import { registration } from '../../helpers/gatehouse';
import { startTlsTeamServer, type TlsTeamServer } from '../core/remote/team-server-fixture';
import { BrowserWindow, app, ipcMain } from './electron-stand-in';
import { freePort } from '../../helpers/free-port';

vi.mock('electron', () => import('./electron-stand-in'));
process.env.GATEHOUSE_LOG_LEVEL = 'warn';

/** True when something accepts TCP connections on the port; false on a refusal. */
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

let desktop: DesktopApp;
let team: TlsTeamServer;
let port: number;
let dataDir: string;
let credential: string;
const window = () => BrowserWindow.created.find((w) => w.loaded)!;
const trusted = () => ({ senderFrame: { url: window().loaded!, parent: null }, sender: window().webContents });
type Answer<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
const call = async <T>(channel: string, input?: unknown) =>
  (await ipcMain.handlers.get(channel)!(trusted(), input)) as Answer<T>;
const invoke = async <T>(name: string, input: unknown = {}) => {
  const result = await call<T>(IPC_CHANNEL_PREFIX + name, input);
  if (!result.ok) throw new Error(`${name}: ${result.error.code} ${result.error.message}`);
  return result.value;
};
const teamFile = () => join(dataDir, 'team-server.json');

beforeAll(async () => {
  team = await startTlsTeamServer();
  credential = (await team.target('admin')).credential;
  // A data directory of its own, kept for the whole file (the desktop restarts on it).
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-desktop-team-'));
  port = await freePort();
  const seed = await createGatehouse({ databaseFile: join(dataDir, 'gatehouse.db'), secretKey: randomBytes(32) });
  await seed.settings.update({ lan_port: port, lan_bind: '127.0.0.1' }, 'test');
  await seed.close();
  app.userData = dataDir;
  desktop = (await startDesktop())!;
});
afterAll(async () => {
  await desktop?.shutdown();
  await team?.dispose();
  const { rmSync } = await import('node:fs');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the desktop app as a team-mode client', () => {
  it('starts on its embedded core, attached to no team server', async () => {
    expect(await accepts(port)).toBe(true);
    expect((await invoke<SystemInfo>('system.info')).team_server).toBeNull();
    const status = await call<TeamServerStatus>(IPC_DESKTOP_CHANNELS.teamServerStatus);
    expect(status).toEqual({ ok: true, value: { team_server: null } });
  });

  it('refuses a wrong pin or a refused credential with a sentence naming the field, and saves nothing', async () => {
    const wrongPin = await call(IPC_DESKTOP_CHANNELS.teamServerConnect, {
      url: team.url,
      pin: `sha256//${Buffer.alloc(32, 1).toString('base64')}`,
      credential,
    });
    expect(wrongPin).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/^pin /) },
    });
    const badCredential = await call(IPC_DESKTOP_CHANNELS.teamServerConnect, {
      url: team.url,
      pin: team.pin,
      credential: 'gha_' + 'A'.repeat(43),
    });
    expect(badCredential).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHORIZED', message: expect.stringMatching(/^credential /) },
    });
    const notHttps = await call(IPC_DESKTOP_CHANNELS.teamServerConnect, {
      url: team.url.replace('https:', 'http:'),
      pin: team.pin,
      credential,
    });
    expect(notHttps).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/^url /) },
    });
    expect(existsSync(teamFile())).toBe(false);
    expect(await accepts(port)).toBe(true);
  });

  it('attaches to a team server: the local LAN listener stops and the credential is stored sealed', async () => {
    const connected = await call<TeamServerStatus>(IPC_DESKTOP_CHANNELS.teamServerConnect, {
      url: team.url,
      pin: `sha256//${team.pin}`,
      credential,
    });
    expect(connected).toEqual({ ok: true, value: { team_server: { url: team.url, pin: team.pin } } });
    expect(await accepts(port)).toBe(false);
    const file = readFileSync(teamFile(), 'utf8');
    expect(statSync(teamFile()).mode & 0o777).toBe(0o600);
    expect(file).not.toContain(credential);
    expect(file).not.toContain(credential.slice(4, 20));
    expect(JSON.parse(file)).toMatchObject({ url: team.url, pin: team.pin, credential_sealed: expect.any(String) });
    const info = await invoke<SystemInfo>('system.info');
    expect(info.team_server).toEqual({ url: team.url, pin: team.pin });
    expect(info.version).toBe('test');
  });

  it("serves admin calls from the team server: a token created through IPC is there, under the credential's name", async () => {
    const created = await invoke<{ id: string; token: string }>('tokens.create', {
      expires_in_hours: 1,
      max_uses: 2,
      description: 'from the desktop',
    });
    const remote = await team.headless.gatehouse.tokens.get(created.id);
    expect(remote.description).toBe('from the desktop');
    expect(remote.created_by).toMatch(/^desktop-admin-/);
    const refused = await call(IPC_CHANNEL_PREFIX + 'hosts.get', { id: '00000000-0000-4000-8000-000000000000' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it("forwards the team server's events to the window", async () => {
    await desktop.backend.current.ready;
    const token = await invoke<{ token: string }>('tokens.create', { expires_in_hours: 1, max_uses: 1 });
    const host = await team.headless.gatehouse.enrolment.register(registration(token.token), '10.3.0.1');
    await expect
      .poll(
        () =>
          window().webContents.sent.some(
            (m) =>
              m.channel === IPC_EVENT_CHANNEL &&
              (m.payload as AdminEvent).topic === 'hosts' &&
              (m.payload as AdminEvent).ids?.includes(host.host_id),
          ),
        { timeout: 10_000 },
      )
      .toBe(true);
  });

  it('uses the saved team server on the next start instead of the embedded core', async () => {
    await desktop.shutdown();
    desktop = (await startDesktop())!;
    expect((await invoke<SystemInfo>('system.info')).team_server).toEqual({ url: team.url, pin: team.pin });
    expect(await accepts(port)).toBe(false);
    expect(() => desktop.gatehouse).toThrow(/team server/);
  });

  it('disconnects back to the embedded core, which serves the LAN again', async () => {
    const status = await call<TeamServerStatus>(IPC_DESKTOP_CHANNELS.teamServerDisconnect);
    expect(status).toEqual({ ok: true, value: { team_server: null } });
    expect(existsSync(teamFile())).toBe(false);
    expect(await accepts(port)).toBe(true);
    expect((await invoke<SystemInfo>('system.info')).team_server).toBeNull();
    // The token made in team mode lives on the team server, not here.
    const local = await invoke<{ tokens: { description: string | null }[] }>('tokens.list', { include_expired: true });
    expect(local.tokens.some((t) => t.description === 'from the desktop')).toBe(false);
  });
});
