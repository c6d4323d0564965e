import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AdminClient } from '../../../shared/api/client';
import { createAuditSlice } from './audit-slice';
import { createHostsSlice } from './hosts-slice';
import { createSettingsSlice } from './settings-slice';
import { createTokensSlice } from './tokens-slice';
import type { AppState } from './types';
import { createUiSlice } from './ui-slice';

export type AppStore = StoreApi<AppState>;

/** The whole client state, built around one API client (IPC, HTTP, or a test fake). */
export function createAppStore(client: AdminClient): AppStore {
  return createStore<AppState>()((...a) => ({
    ...createUiSlice(client)(...a),
    ...createTokensSlice(client)(...a),
    ...createHostsSlice(client)(...a),
    ...createAuditSlice(client)(...a),
    ...createSettingsSlice(client)(...a),
  }));
}

/**
 * Keeps the store in step with the event stream: each change reloads its collection,
 * coalesced so a burst of 50 registrations costs one reload, not 50.
 */
export function connectLiveUpdates(store: AppStore, client: AdminClient, delayMs = 150): () => void {
  const pending = new Map<string, ReturnType<typeof setTimeout>>();
  const reload: Record<string, () => Promise<void>> = {
    tokens: () => store.getState().loadTokens(),
    hosts: () => store.getState().loadHosts(),
    audit: () => (store.getState().auditLoaded ? store.getState().loadAudit() : Promise.resolve()),
    settings: () => store.getState().loadSettings(),
  };
  const schedule = (topic: string) => {
    if (pending.has(topic)) return;
    pending.set(
      topic,
      setTimeout(() => {
        pending.delete(topic);
        void reload[topic]?.();
      }, delayMs),
    );
  };
  const unsubscribe = client.subscribe(
    (event) => schedule(event.topic),
    (state) => {
      const was = store.getState().connection;
      store.getState().setConnection(state);
      // Back after a loss: whatever changed meanwhile was not streamed, so fetch it all again.
      if (state === 'live' && was === 'lost') Object.keys(reload).forEach(schedule);
    },
  );
  return () => {
    unsubscribe();
    pending.forEach(clearTimeout);
  };
}
