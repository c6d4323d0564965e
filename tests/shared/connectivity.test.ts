import { describe, expect, it } from 'vitest';
import { connectivityOf } from '../../src/shared/connectivity';

describe('connectivity', () => {
  it('is NEVER without a heartbeat', () => {
    expect(connectivityOf(null, 1_000_000, 90)).toBe('NEVER');
  });

  it('is ONLINE up to and including the threshold, OFFLINE one millisecond after', () => {
    expect(connectivityOf(0, 90_000, 90)).toBe('ONLINE');
    expect(connectivityOf(0, 90_001, 90)).toBe('OFFLINE');
  });

  it('follows the threshold setting', () => {
    expect(connectivityOf(0, 200_000, 300)).toBe('ONLINE');
  });
});
