import { createContext, useContext, useEffect, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { AdminClient } from '../../../shared/api/client';
import type { AppStore } from './app-store';
import type { ClockStore } from './clock-store';
import type { AppState } from './types';

interface Stores {
  app: AppStore;
  clock: ClockStore;
  client: AdminClient;
}

const StoresContext = createContext<Stores | null>(null);

export function StoresProvider({ stores, children }: { stores: Stores; children: ReactNode }) {
  return <StoresContext.Provider value={stores}>{children}</StoresContext.Provider>;
}

function useStores(): Stores {
  const stores = useContext(StoresContext);
  if (!stores) throw new Error('StoresProvider is missing');
  return stores;
}

/** Selects from the app store; objects and arrays compare shallowly, so rows re-render only when they change. */
export function useApp<T>(selector: (state: AppState) => T): T {
  return useStore(useStores().app, useShallow(selector));
}

export function useClient(): AdminClient {
  return useStores().client;
}

/** The shared clock's current time; the component re-renders once a second while mounted. */
export function useNow(): number {
  const { clock } = useStores();
  useEffect(() => clock.retain(), [clock]);
  return useStore(clock.store, (s) => s.now);
}
