import { DEFAULT_TOKEN_PREFIX } from '../../../shared/token-format';
import type { Settings } from '../../../shared/domain';
import type { Store } from '../store/store';
import type { AuditService } from './audit-service';

export const DEFAULT_SETTINGS: Settings = {
  token_prefix: DEFAULT_TOKEN_PREFIX,
  offline_threshold_seconds: 90,
  lan_port: 7443,
  lan_bind: '0.0.0.0',
  advertise_url: null,
  disable_offline_after_days: null,
};

/**
 * Site settings, read from the store once and kept in memory: services ask for them on
 * every host they describe. `reload` picks up a change another server made (team mode).
 */
export function createSettingsService(deps: { store: Store; audit: AuditService }) {
  let current: Settings = { ...DEFAULT_SETTINGS };
  const reload = async (): Promise<Settings> => {
    const saved = (await deps.store.read((r) => r.settings.readAll())) as Partial<Settings>;
    // Only the site settings: other keys of the table (the sealed mail settings) stay out.
    const known = Object.entries(saved).filter(([key]) => key in DEFAULT_SETTINGS);
    current = { ...DEFAULT_SETTINGS, ...(Object.fromEntries(known) as Partial<Settings>) };
    return current;
  };
  return {
    reload,
    get(): Settings {
      return current;
    },
    async update(patch: Partial<Settings>, actor: string): Promise<Settings> {
      await deps.store.write(async (tx) => {
        for (const [key, value] of Object.entries(patch)) {
          if (value !== undefined) await tx.settings.write(key, value);
        }
        await deps.audit.record(tx, { actor, action: 'settings.updated', targetType: 'settings', detail: patch });
        tx.emit({ topic: 'settings', action: 'updated' });
      });
      return reload();
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
