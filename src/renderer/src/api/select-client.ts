import type { AdminClient } from '../../../shared/api/client';
import { createHttpClient } from './http-client';
import { createIpcClient } from './ipc-client';

/** In the Electron window the preload bridge is there; served headless, talk HTTP to our own origin. */
export function selectClient(): AdminClient {
  return window.gatehouse ? createIpcClient(window.gatehouse) : createHttpClient();
}
