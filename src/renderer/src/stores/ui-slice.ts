import { AdminCallError } from '../../../shared/api/client';
import type { SliceCreator } from './types';

export const PAGES = ['hosts', 'expected', 'rules', 'audit', 'settings'] as const;
export type Page = (typeof PAGES)[number];

export interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

export interface UiSlice {
  page: Page;
  addHostOpen: boolean;
  notices: Notice[];
  /** Hosts that arrived in the queue since the admin last looked: the badge. */
  unseenHostIds: string[];
  /** The live event stream: 'lost' shows a banner until it is back. */
  connection: 'connecting' | 'live' | 'lost';
  /** The session ended (401): the HTTP client is taking the browser to the sign-in page. */
  signedOut: boolean;
  /** Compact rows in the hosts table. */
  compact: boolean;
  /** The host shown in the detail dialog. */
  detailHostId: string | null;
  setCompact(compact: boolean): void;
  showHost(id: string | null): void;
  setConnection(state: 'live' | 'lost'): void;
  goTo(page: Page): void;
  setAddHostOpen(open: boolean): void;
  notify(kind: Notice['kind'], text: string): void;
  /** Shows a failed call as a notice a person can act on; returns false so callers can `return`. */
  reportError(error: unknown): false;
  /** Runs an admin call; a failure becomes a notice and `fallback` is returned instead. */
  attempt<T, F>(call: () => Promise<T>, fallback: F): Promise<T | F>;
  dismissNotice(id: number): void;
  markHostsSeen(): void;
}

let nextNoticeId = 1;

export const createUiSlice: SliceCreator<UiSlice> = () => (set, get) => ({
  page: 'hosts',
  addHostOpen: false,
  notices: [],
  unseenHostIds: [],
  connection: 'connecting',
  signedOut: false,
  compact: false,
  detailHostId: null,
  setCompact: (compact) => set({ compact }),
  showHost: (detailHostId) => set({ detailHostId }),
  setConnection: (connection) => set({ connection }),
  goTo: (page) => set({ page }),
  setAddHostOpen: (addHostOpen) => set({ addHostOpen }),
  notify(kind, text) {
    const id = nextNoticeId++;
    set({ notices: [...get().notices.slice(-3), { id, kind, text }] });
  },
  reportError(error) {
    // Signed out: the browser is on its way to the sign-in page; a toast would only be noise.
    if (error instanceof AdminCallError && error.code === 'UNAUTHORIZED') {
      set({ signedOut: true });
      return false;
    }
    get().notify('error', error instanceof AdminCallError ? error.message : 'Something went wrong; try again.');
    return false;
  },
  async attempt(call, fallback) {
    try {
      return await call();
    } catch (error) {
      get().reportError(error);
      return fallback;
    }
  },
  dismissNotice: (id) => set({ notices: get().notices.filter((n) => n.id !== id) }),
  markHostsSeen: () => set({ unseenHostIds: [] }),
});
