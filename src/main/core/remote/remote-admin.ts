import { ApiError, ERROR_STATUS, isErrorBody, type ErrorCode } from '../../../shared/api/errors';
import { OPERATION_NAMES, operations, type OperationName } from '../../../shared/api/operations';
import type { AdminHandlers } from '../api/admin-handlers';
import { PinMismatchError, requestFor, send, type Answer, type Target } from './pinned-https';

/** A team server the desktop app is attached to: its admin URL, its pinned key and a named credential. */
export interface TeamServerTarget {
  url: string;
  pin: string;
  credential: string;
}

const toTarget = (server: TeamServerTarget): Target => ({
  url: server.url,
  pin: server.pin,
  bearer: server.credential,
});

/** The contract error a remote answer carries, or a plain one naming the status. */
function remoteError(answer: Answer, url: string): ApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (isErrorBody(parsed)) {
    const code = parsed.error.code in ERROR_STATUS ? parsed.error.code : 'INTERNAL';
    return new ApiError(code as ErrorCode, parsed.error.message, parsed.error.details);
  }
  return answer.status >= 500
    ? new ApiError('STORE_UNAVAILABLE', `The team server at ${url} answered ${answer.status}; try again shortly.`)
    : new ApiError('VALIDATION_FAILED', `The team server at ${url} refused the request (${answer.status}).`);
}

/**
 * Calls one admin operation on the team server over pinned HTTPS. Method and path come
 * from the operation table; the remote validates and authorises again (its audit names
 * the credential). Refusals come back as the contract's error; a pin mismatch is refused
 * before any request (or credential) is written.
 */
export async function callRemote(server: TeamServerTarget, name: OperationName, input: unknown): Promise<unknown> {
  const { method, path, body } = requestFor(name, (input ?? {}) as Record<string, unknown>);
  let answer: Answer;
  try {
    answer = await send(toTarget(server), method, path, body);
  } catch (error) {
    if (error instanceof PinMismatchError) {
      throw new ApiError(
        'FORBIDDEN',
        `The team server at ${server.url} shows another public key (sha256//${error.actual || 'none'}) than the pin saved for it; nothing was sent. Reconnect with the server's current pin.`,
      );
    }
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ApiError(
      'STORE_UNAVAILABLE',
      `Cannot reach the team server at ${server.url} (${reason}); is it running and reachable from here?`,
    );
  }
  if (answer.status >= 400) throw remoteError(answer, server.url);
  if (answer.status === 204) return undefined;
  if (operations[name].raw) {
    const contentType = (answer.contentType.split(';')[0] ?? '').trim();
    // Binary answers (PNG QR codes) travel as base64 inside the handlers, as the local core returns them.
    const data = contentType === 'image/png' ? answer.body.toString('base64') : answer.body.toString('utf8');
    return { content_type: contentType, data };
  }
  return JSON.parse(answer.body.toString('utf8')) as unknown;
}

/**
 * An {@link AdminHandlers} that serves every operation from a remote Gatehouse: the
 * desktop window keeps talking to the same IPC handlers and never knows the difference.
 */
export function createRemoteAdminHandlers(server: TeamServerTarget): AdminHandlers {
  return Object.fromEntries(
    OPERATION_NAMES.map((name) => [name, (input: unknown) => callRemote(server, name, input)]),
  ) as unknown as AdminHandlers;
}
