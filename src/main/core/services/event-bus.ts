import type { AdminEvent } from '../../../shared/domain';

/**
 * Fan-out of admin-visible changes: the SSE stream, IPC, tray, notifications,
 * webhooks and metrics listen. A listener that throws is reported and skipped;
 * its error never reaches the publisher (a committed change stays a success).
 */
export class EventBus {
  private readonly listeners = new Set<(event: AdminEvent) => void>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  publish(event: AdminEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  subscribe(listener: (event: AdminEvent) => void): () => void {
    // Wrapped so one function subscribed twice is two subscriptions, as with an emitter.
    const wrapped = (event: AdminEvent) => listener(event);
    this.listeners.add(wrapped);
    return () => this.listeners.delete(wrapped);
  }
}
