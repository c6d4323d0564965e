import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClipboardGuard } from '../../../src/main/electron/clipboard-guard';

vi.mock('electron', () => import('./electron-stand-in'));

function fakeClipboard() {
  let text = '';
  return { writeText: (t: string) => void (text = t), readText: () => text, clear: () => void (text = '') };
}

afterEach(() => vi.useRealTimers());

describe('copying a secret', () => {
  it('clears it from the clipboard after 60 s if it is still there', () => {
    vi.useFakeTimers();
    const clipboard = fakeClipboard();
    createClipboardGuard(clipboard as never).copySecret('GATE-SECRET');
    vi.advanceTimersByTime(59_999);
    expect(clipboard.readText()).toBe('GATE-SECRET');
    vi.advanceTimersByTime(1);
    expect(clipboard.readText()).toBe('');
  });

  it('leaves the clipboard alone when the admin copied something else since', () => {
    vi.useFakeTimers();
    const clipboard = fakeClipboard();
    createClipboardGuard(clipboard as never).copySecret('GATE-SECRET');
    clipboard.writeText('an unrelated note');
    vi.advanceTimersByTime(60_000);
    expect(clipboard.readText()).toBe('an unrelated note');
  });
});
