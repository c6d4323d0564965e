import { AdminCallError, type AdminClient } from '../../../shared/api/client';
import { OPERATION_NAMES, type AdminApi, type IpcResult } from '../../../shared/api/operations';
import type { GatehouseBridge } from '../../../shared/api/bridge';

/** A desktop-only call's value, or its contract error thrown (its message is the plain sentence to show). */
export async function unwrapIpc<T>(answer: Promise<IpcResult<T>>): Promise<T> {
  const result = await answer;
  if (result.ok) return result.value;
  throw AdminCallError.fromBody(result);
}

/** The Electron adapter: the preload bridge answers `{ok, value}` or the contract's error body. */
export function createIpcClient(bridge: GatehouseBridge): AdminClient {
  const api = Object.fromEntries(
    OPERATION_NAMES.map((name) => [
      name,
      async (input?: unknown) => {
        const result = (await bridge.invoke[name](input as never)) as IpcResult<unknown>;
        if (result.ok) return result.value;
        throw AdminCallError.fromBody(result);
      },
    ]),
  ) as unknown as AdminApi;
  // The main process is always there while the window is: the stream is never lost.
  return {
    api,
    subscribe(listener, onConnection) {
      onConnection?.('live');
      return bridge.onEvent(listener);
    },
  };
}
