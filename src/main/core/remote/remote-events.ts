import type { ClientRequest } from 'node:http';
import type { AdminEvent } from '../../../shared/domain';
import type { EventBus } from '../services/event-bus';
import { openRequest } from './pinned-https';
import type { TeamServerTarget } from './remote-admin';

export interface RemoteEventsOptions {
  server: TeamServerTarget;
  bus: EventBus;
  /** First wait after a lost stream; doubles up to `maxDelayMs`, back to this once connected. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Told of every state change, for the log (never carries the credential). */
  onState?: (state: { connected: boolean; reason?: string; retryInMs?: number }) => void;
}

export interface RemoteEvents {
  /** Resolves once the first stream is open (or never, if the server never answers: use for tests). */
  readonly connected: Promise<void>;
  close(): void;
}

/** What a client should do after a gap in the stream: refetch what it shows. */
export const RESYNC_EVENT: AdminEvent = { topic: 'settings', action: 'resync' };

/**
 * Follows `GET /api/admin/events` on a team server and republishes each event into a
 * local bus, so the window, tray and notifications work as with the embedded core.
 * A lost stream is reopened with backoff; after every reconnect a `resync` event tells
 * clients to refetch, since events sent during the gap are gone.
 */
export function followRemoteEvents(options: RemoteEventsOptions): RemoteEvents {
  const minDelay = options.minDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 30_000;
  let delay = minDelay;
  let closed = false;
  let everConnected = false;
  let request: ClientRequest | undefined;
  let timer: NodeJS.Timeout | undefined;
  let markConnected: () => void = () => {};
  const connected = new Promise<void>((resolve) => (markConnected = resolve));

  const retry = (reason: string) => {
    if (closed || timer) return;
    request?.destroy();
    request = undefined;
    const wait = delay;
    delay = Math.min(delay * 2, maxDelay);
    options.onState?.({ connected: false, reason, retryInMs: wait });
    timer = setTimeout(() => {
      timer = undefined;
      open();
    }, wait);
    timer.unref();
  };

  const open = () => {
    if (closed) return;
    const target = { url: options.server.url, pin: options.server.pin, bearer: options.server.credential };
    request = openRequest(
      target,
      'GET',
      '/api/admin/events',
      undefined,
      'text/event-stream',
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          retry(`the server answered ${response.statusCode}`);
          return;
        }
        delay = minDelay;
        if (everConnected) options.bus.publish(RESYNC_EVENT);
        everConnected = true;
        options.onState?.({ connected: true });
        markConnected();
        let buffer = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffer += chunk.replace(/\r\n?/g, '\n');
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block
              .split('\n')
              .filter((line) => line.startsWith('data:'))
              .map((line) => line.slice(5).replace(/^ /, ''))
              .join('\n');
            if (!data) continue;
            try {
              options.bus.publish(JSON.parse(data) as AdminEvent);
            } catch {
              // Not an event we can read: skip it, the stream goes on.
            }
          }
        });
        response.on('end', () => retry('the stream ended'));
        response.on('error', (error) => retry(error.message));
        response.on('close', () => retry('the stream closed'));
      },
      (error) => retry((error as NodeJS.ErrnoException).code ?? error.message),
    );
  };

  open();
  return {
    connected,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      request?.destroy();
    },
  };
}
