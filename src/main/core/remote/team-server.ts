import { existsSync, readFileSync, rmSync } from 'node:fs';
import { ApiError } from '../../../shared/api/errors';
import type { SystemInfo } from '../../../shared/domain';
import type { AdminHandlers } from '../api/admin-handlers';
import { writeFileAtomic } from '../durable-file';
import { normalisePin } from './pinned-https';
import { callRemote, createRemoteAdminHandlers, type TeamServerTarget } from './remote-admin';

/** Seals the credential at rest: Electron `safeStorage` on the desktop. */
export interface Sealer {
  seal(text: string): Buffer;
  open(sealed: Buffer): string;
}

/** What the team-server file holds: where, which key, and the credential sealed (never in plain text). */
interface TeamServerFile {
  url: string;
  pin: string;
  credential_sealed: string;
}

const PIN_PATTERN = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Checks what the admin typed into "Connect to a team server", field by field, and
 * returns it in canonical form (origin only, bare pin). Refusals name the field.
 */
export function parseTeamServerInput(input: unknown): TeamServerTarget {
  const given = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const text = (key: string) => (typeof given[key] === 'string' ? (given[key] as string).trim() : '');
  let url: URL;
  try {
    url = new URL(text('url'));
  } catch {
    throw new ApiError(
      'VALIDATION_FAILED',
      "url must be the team server's admin URL, such as https://gatehouse.lab:7444.",
    );
  }
  if (url.protocol !== 'https:') {
    throw new ApiError(
      'VALIDATION_FAILED',
      "url must start with https:// (the team server's admin listener speaks HTTPS).",
    );
  }
  const pin = normalisePin(text('pin'));
  if (!PIN_PATTERN.test(pin)) {
    throw new ApiError(
      'VALIDATION_FAILED',
      "pin must be the server's TLS pin as it prints it at start (sha256//… , 44 base64 characters).",
    );
  }
  const credential = text('credential');
  if (!/^gha_[A-Za-z0-9_-]{20,200}$/.test(credential)) {
    throw new ApiError('VALIDATION_FAILED', 'credential must be a named admin credential (gha_…).');
  }
  return { url: url.origin, pin, credential };
}

/**
 * Proves a team server before anything is saved: system.info through the pinned client.
 * A wrong pin, a refused credential or an unreachable server each get a sentence that
 * says which field to fix.
 */
export async function probeTeamServer(server: TeamServerTarget): Promise<SystemInfo> {
  try {
    return (await callRemote(server, 'system.info', {})) as SystemInfo;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.code === 'FORBIDDEN' && /public key/.test(error.message)) {
      throw new ApiError(
        'VALIDATION_FAILED',
        `pin does not match the server at ${server.url}: it shows another public key, so the credential was not sent. Copy the pin the server prints (TLS pin: sha256//…).`,
      );
    }
    if (error.code === 'UNAUTHORIZED') {
      throw new ApiError('UNAUTHORIZED', `credential was refused by ${server.url}: it is unknown, revoked or expired.`);
    }
    throw error;
  }
}

/**
 * The handlers of team mode: every operation from the remote, and system.info says
 * which server the app is attached to.
 */
export function teamServerHandlers(server: TeamServerTarget): AdminHandlers {
  const remote = createRemoteAdminHandlers(server);
  return {
    ...remote,
    'system.info': async (input, ctx) => ({
      ...(await remote['system.info'](input, ctx)),
      team_server: { url: server.url, pin: server.pin },
    }),
  };
}

/** The saved team server, or null when the app runs its embedded core. */
export function loadTeamServer(path: string, sealer: Sealer): TeamServerTarget | null {
  if (!existsSync(path)) return null;
  const file = JSON.parse(readFileSync(path, 'utf8')) as TeamServerFile;
  return { url: file.url, pin: file.pin, credential: sealer.open(Buffer.from(file.credential_sealed, 'base64')) };
}

/** Saves the team server with its credential sealed; 0600, atomically. */
export function saveTeamServer(path: string, sealer: Sealer, server: TeamServerTarget): void {
  const file: TeamServerFile = {
    url: server.url,
    pin: server.pin,
    credential_sealed: sealer.seal(server.credential).toString('base64'),
  };
  writeFileAtomic(path, JSON.stringify(file, null, 2) + '\n', 0o600);
}

export function forgetTeamServer(path: string): void {
  rmSync(path, { force: true });
}
