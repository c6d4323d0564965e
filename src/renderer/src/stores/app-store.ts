import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AdminClient } from '../../../shared/api/client';
import type { AdminEvent } from '../../../shared/domain';
import { createAuditSlice } from './audit-slice';
import { createHostsSlice } from './hosts-slice';
import { createIntegrationsSlice } from './integrations-slice';
import { createRackSlice } from './rack-slice';
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
    ...createRackSlice(client)(...a),
    ...createIntegrationsSlice(client)(...a),
  }));
}

/** Runs `fn` at most once per `delayMs`, after the first call of a burst. */
function coalesced(fn: () => unknown, delayMs: number, timers: Set<ReturnType<typeof setTimeout>>) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timers.delete(timer!);
      timer = undefined;
      void fn();
    }, delayMs);
    timers.add(timer);
  };
}

/**
 * Keeps the store in step with the event stream by patching, not refetching: an event
 * that names hosts fetches just those rows; a heartbeat flush marks loaded rows online
 * without a fetch (or, when it only carries a count, refetches the rows on screen);
 * totals come from `hosts.counts`. Bursts are coalesced: 50 registrations cost one call.
 */
export function connectLiveUpdates(
  store: AppStore,
  client: AdminClient,
  delayMs = 150,
  options: { totalsMs?: number; windowMs?: number } = {},
): () => void {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const s = () => store.getState();
  const changed = new Set<string>();
  const arrived = new Set<string>();
  let reloadLists = false;
  const flushHosts = coalesced(
    async () => {
      const ids = [...changed];
      const fresh = [...arrived];
      const reload = reloadLists;
      changed.clear();
      arrived.clear();
      reloadLists = false;
      if (reload) {
        await Promise.all((['queue', 'table'] as const).filter((k) => s().lists[k].loaded).map((k) => s().loadList(k)));
      }
      if (fresh.length) await s().refreshHosts(fresh, { arrived: true });
      if (ids.length) await s().refreshHosts(ids);
      refreshTotals();
    },
    delayMs,
    timers,
  );
  const refreshTotals = coalesced(() => s().refreshTotals(), options.totalsMs ?? 1000, timers);
  const refreshWindow = coalesced(() => s().refreshVisible(), options.windowMs ?? 5000, timers);
  const other: Record<string, () => void> = {
    tokens: coalesced(() => s().loadTokens(), delayMs, timers),
    // Credentials, webhooks and mail settings publish no events of their own, but every change is audited.
    audit: coalesced(
      () => Promise.all([s().auditLoaded ? s().loadAudit() : undefined, s().refreshIntegrations()]),
      delayMs * 4,
      timers,
    ),
    settings: coalesced(() => s().loadSettings(), delayMs, timers),
    rules: coalesced(() => (s().rulesLoaded ? s().loadRules() : undefined), delayMs, timers),
    expected: coalesced(() => (s().expectedLoaded ? s().loadExpected() : undefined), delayMs, timers),
  };
  /** Everything loaded, again: after a lost stream or a team server's resync nothing can be patched. */
  const reloadAll = () => {
    reloadLists = true;
    flushHosts();
    Object.values(other).forEach((f) => f());
  };
  const onEvent = (event: AdminEvent) => {
    if (event.topic === 'settings' && event.action === 'resync') return reloadAll();
    if (event.topic === 'tokens' && event.action === 'alarm' && event.id) void s().raiseTokenAlarm(event.id);
    if (event.topic !== 'hosts') return other[event.topic]?.();
    const ids = event.ids ?? (event.id ? [event.id] : null);
    if (event.action === 'alarm' && ids) void s().raiseHostAlarm(ids);
    if (event.action === 'heartbeats') {
      if (ids) s().markSeen(ids);
      else refreshWindow();
      return refreshTotals();
    }
    if (!ids) reloadLists = true;
    else for (const id of ids) (event.action === 'registered' ? arrived : changed).add(id);
    flushHosts();
  };
  const unsubscribe = client.subscribe(onEvent, (state) => {
    const was = s().connection;
    s().setConnection(state);
    // Back after a loss: whatever changed meanwhile was not streamed, so fetch it all again.
    if (state === 'live' && was === 'lost') reloadAll();
  });
  return () => {
    unsubscribe();
    timers.forEach(clearTimeout);
  };
}
