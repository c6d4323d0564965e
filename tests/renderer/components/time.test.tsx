// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Countdown, RelativeTime } from '../../../src/renderer/src/components/time';
import { createAppStore } from '../../../src/renderer/src/stores/app-store';
import { createClockStore } from '../../../src/renderer/src/stores/clock-store';
import { StoresProvider } from '../../../src/renderer/src/stores/context';
import { fakeClient } from '../fake-client';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function renderWithClock(ui: ReactNode) {
  const { client } = fakeClient();
  return render(
    <StoresProvider stores={{ app: createAppStore(client), client, clock: createClockStore() }}>{ui}</StoresProvider>,
  );
}

describe('<Countdown>', () => {
  it('ticks down and reads "expired" the moment the time passes', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    renderWithClock(<Countdown to="2026-01-01T00:00:03Z" />);
    expect(screen.getByText('in 3s')).toBeTruthy();
    await act(() => vi.advanceTimersByTimeAsync(1010));
    expect(screen.getByText('in 2s')).toBeTruthy();
    await act(() => vi.advanceTimersByTimeAsync(2000));
    expect(screen.getByText('expired')).toBeTruthy();
  });

  it('carries the exact instant as machine-readable dateTime', () => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    renderWithClock(<Countdown to="2026-01-01T03:12:00Z" />);
    expect(screen.getByText('in 3h 12m').getAttribute('datetime')).toBe('2026-01-01T03:12:00Z');
  });
});

describe('<RelativeTime>', () => {
  it('reads "never" without a time and "5m ago" five minutes on', () => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T00:05:00Z') });
    renderWithClock(
      <>
        <RelativeTime at={null} />
        <RelativeTime at="2026-01-01T00:00:00Z" />
      </>,
    );
    expect(screen.getByText('never')).toBeTruthy();
    expect(screen.getByText('5m ago')).toBeTruthy();
  });
});
