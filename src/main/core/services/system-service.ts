import type { SystemInfo } from '../../../shared/domain';

/**
 * What the running host process (headless server or desktop shell) knows about
 * itself: the live listener, the key storage, and how to swap the LAN key pair.
 */
export interface SystemService {
  info(): SystemInfo;
  regenerateCertificate(actor: string): Promise<SystemInfo>;
}
