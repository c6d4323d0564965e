import type { Clipboard } from 'electron';

/** Copies a secret and clears it from the clipboard after `clearAfterMs` if it is still there. */
export function createClipboardGuard(clipboard: Clipboard, clearAfterMs = 60_000) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    copySecret(text: string): void {
      clipboard.writeText(text);
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (clipboard.readText() === text) clipboard.clear();
      }, clearAfterMs);
    },
    dispose(): void {
      clearTimeout(timer);
    },
  };
}
