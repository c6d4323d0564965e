import { createStore } from 'zustand/vanilla';

/**
 * One clock for every countdown and relative time on screen: a single timer ticks
 * once a second (aligned to the second) instead of one timer per row.
 */
export function createClockStore(now: () => number = Date.now) {
  const store = createStore<{ now: number }>()(() => ({ now: now() }));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let users = 0;
  const tick = () => {
    const current = now();
    store.setState({ now: current });
    timer = setTimeout(tick, 1000 - (current % 1000) + 5);
  };
  return {
    store,
    /** Starts ticking while anything uses the clock; returns the release function. */
    retain(): () => void {
      if (users++ === 0) tick();
      return () => {
        if (--users === 0 && timer) clearTimeout(timer);
      };
    },
  };
}

export type ClockStore = ReturnType<typeof createClockStore>;
