import type { RequestHandler } from 'express';
import type { EventBus } from '../../services/event-bus';

/** Server-Sent Events of every admin-visible change; a comment every 15 s keeps proxies and sockets awake. */
export function eventStream(events: EventBus, keepAliveMs = 15_000): RequestHandler {
  return (req, res) => {
    res.status(200).set({
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    const unsubscribe = events.subscribe((event) => res.write(`data: ${JSON.stringify(event)}\n\n`));
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
    req.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
    });
  };
}
