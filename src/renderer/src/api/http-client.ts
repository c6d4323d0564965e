import { AdminCallError, type AdminClient } from '../../../shared/api/client';
import { isErrorBody } from '../../../shared/api/errors';
import { OPERATION_NAMES, operations, type AdminApi, type OperationName } from '../../../shared/api/operations';
import type { AdminEvent } from '../../../shared/domain';

/**
 * The headless adapter: each operation of the table becomes a fetch against the
 * admin listener (same origin, session cookie). Path parameters fill `:name`,
 * GET inputs go in the query, others in a JSON body.
 */
export function createHttpClient(
  base = '',
  onSignedOut: () => void = () => window.location.assign(`${base}/login`),
): AdminClient {
  async function call(name: OperationName, input: Record<string, unknown> = {}): Promise<unknown> {
    const spec = operations[name];
    const rest = { ...input };
    const path = spec.path.replace(/:(\w+)/g, (_m, key: string) => {
      const value = String(rest[key] ?? '');
      delete rest[key];
      return encodeURIComponent(value);
    });
    let url = base + path;
    let body: string | undefined;
    if (spec.method === 'GET') {
      const query = new URLSearchParams(
        Object.entries(rest)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]),
      ).toString();
      if (query) url += `?${query}`;
    } else if (Object.keys(rest).length > 0) {
      body = JSON.stringify(rest);
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method: spec.method,
        body,
        credentials: 'same-origin',
        headers: body ? { 'Content-Type': 'application/json' } : {},
      });
    } catch {
      throw new AdminCallError('NETWORK', 'Gatehouse is not answering. Is `npm run serve` still running?');
    }
    if (res.status === 401) {
      // The session ended (expired, signed out elsewhere): the server's sign-in page takes over.
      onSignedOut();
      throw new AdminCallError('UNAUTHORIZED', 'Signed out. Sign in again to continue.', 401);
    }
    if (res.status === 204) return undefined;
    if (spec.raw && res.ok) {
      const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!;
      if (contentType !== 'image/png') return { content_type: contentType, data: await res.text() };
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { content_type: contentType, data: btoa(String.fromCharCode(...bytes)) };
    }
    const json: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      if (isErrorBody(json)) throw AdminCallError.fromBody(json, res.status);
      throw new AdminCallError('INTERNAL', `Gatehouse answered ${res.status}.`, res.status);
    }
    return json;
  }

  const api = Object.fromEntries(
    OPERATION_NAMES.map((name) => [name, (input?: Record<string, unknown>) => call(name, input)]),
  ) as unknown as AdminApi;

  return {
    api,
    subscribe(listener, onConnection) {
      // EventSource reconnects by itself (the server asks for 2 s); we only report the state.
      const source = new EventSource(`${base}/api/admin/events`);
      source.onmessage = (message) => listener(JSON.parse(message.data as string) as AdminEvent);
      source.onopen = () => onConnection?.('live');
      source.onerror = () => onConnection?.('lost');
      return () => source.close();
    },
  };
}
