import { EventEmitter } from 'node:events';
import type { AdminEvent } from '../../../shared/domain';

/** Fan-out of admin-visible changes: the SSE stream, IPC, tray and notifications listen. */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every open admin window or SSE client is one listener; no leak warning for them.
    this.emitter.setMaxListeners(0);
  }

  publish(event: AdminEvent): void {
    this.emitter.emit('event', event);
  }

  subscribe(listener: (event: AdminEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
