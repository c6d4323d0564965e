import { describe, expect, it } from 'vitest';
import { formatCountdown, formatDuration, formatRelative, formatWaiting } from '../../src/renderer/src/lib/time-format';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('countdown formatting', () => {
  it.each([
    [3 * H + 12 * M + 40 * S, 'in 3h 12m'],
    [3 * D + 4 * H + 5 * M, 'in 3d 4h'],
    [4 * M + 5 * S, 'in 4m 05s'],
    [42 * S, 'in 42s'],
    [999, 'in 1s'],
    [7 * D, 'in 7d 0h'],
    [H, 'in 1h 00m'],
  ])('%i ms before expiry reads "%s"', (left, text) => {
    expect(formatCountdown(1_000_000_000 + left, 1_000_000_000)).toBe(text);
  });

  it('reads "expired" at and after the instant', () => {
    expect(formatCountdown(5000, 5000)).toBe('expired');
    expect(formatCountdown(5000, 9000)).toBe('expired');
  });

  it('keeps minutes and seconds two digits wide so the text does not jump as it ticks', () => {
    expect(formatDuration(H + 9 * M).length).toBe(formatDuration(H + 10 * M).length);
    expect(formatDuration(M + 9 * S).length).toBe(formatDuration(M + 10 * S).length);
  });
});

describe('relative times', () => {
  it.each([
    [null, 'never'],
    [2 * S, 'just now'],
    [42 * S, '42s ago'],
    [5 * M, '5m ago'],
    [3 * H, '3h ago'],
    [2 * D, '2d ago'],
  ])('%s ms ago reads "%s"', (ago, text) => {
    const now = 10 * D;
    expect(formatRelative(ago === null ? null : now - ago, now)).toBe(text);
  });

  it('says how long a request has waited in its largest unit', () => {
    expect(formatWaiting(0, 4 * M + 30 * S)).toBe('waiting 4m');
    expect(formatWaiting(0, 2 * H + 30 * M)).toBe('waiting 2h');
  });
});
