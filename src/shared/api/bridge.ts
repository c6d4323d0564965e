import type { AdminEvent } from '../domain';
import type { OperationName } from './operation-names';
import type { IpcResult, OperationInput, OperationOutput } from './operations';

/**
 * What the preload script exposes as `window.gatehouse`: exactly one function per
 * contract operation and an event subscription, nothing else.
 */
export interface GatehouseBridge {
  invoke: { [N in OperationName]: (input: OperationInput<N>) => Promise<IpcResult<OperationOutput<N>>> };
  onEvent(listener: (event: AdminEvent) => void): () => void;
  /** Desktop-only guardrails the UI can ask for; absent headless. */
  desktop: {
    /** Protect the window from screen capture while a secret is on screen. */
    setSecretOnScreen(visible: boolean): void;
    /** Clear `text` from the clipboard after 60 s if it is still there. */
    copySecret(text: string): Promise<void>;
    /** The main process asks to show a page (a notification or the tray was clicked). */
    onNavigate(listener: (page: string) => void): () => void;
  };
}

declare global {
  interface Window {
    gatehouse?: GatehouseBridge;
  }
}
