import type { AdminEvent } from '../domain';
import type { ErrorBody } from './errors';
import type { AdminApi } from './operations';

/** What every renderer adapter (IPC in Electron, HTTP headless) provides. */
export interface AdminClient {
  api: AdminApi;
  /**
   * Live changes; returns the unsubscribe function. `onConnection` hears when the
   * stream is lost and when it is back (after which the caller should refetch:
   * changes made meanwhile were not streamed).
   */
  subscribe(listener: (event: AdminEvent) => void, onConnection?: (state: 'live' | 'lost') => void): () => void;
}

/** A failed admin call as the renderer sees it, whatever the transport. */
export class AdminCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AdminCallError';
  }

  static fromBody(body: ErrorBody, status?: number): AdminCallError {
    return new AdminCallError(body.error.code, body.error.message, status);
  }
}
