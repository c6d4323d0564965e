import { DEFAULT_TOKEN_PREFIX } from '../../../shared/token-format';
import type { Settings } from '../../../shared/domain';
import type { SettingsRepository } from '../repositories/settings-repository';
import type { AuditService } from './audit-service';
import type { EventBus } from './event-bus';
import type { Db } from '../db/connection';
import { writeTransaction } from '../db/connection';

export const DEFAULT_SETTINGS: Settings = {
  token_prefix: DEFAULT_TOKEN_PREFIX,
  offline_threshold_seconds: 90,
  lan_port: 7443,
  lan_bind: '0.0.0.0',
  advertise_url: null,
};

export function createSettingsService(deps: {
  db: Db;
  settings: SettingsRepository;
  audit: AuditService;
  events: EventBus;
}) {
  let cached: Settings | null = null;
  return {
    get(): Settings {
      cached ??= { ...DEFAULT_SETTINGS, ...(deps.settings.readAll() as Partial<Settings>) };
      return cached;
    },
    update(patch: Partial<Settings>, actor: string): Settings {
      writeTransaction(deps.db, () => {
        for (const [key, value] of Object.entries(patch)) {
          if (value !== undefined) deps.settings.write(key, value);
        }
        deps.audit.record({ actor, action: 'settings.updated', targetType: 'settings', detail: patch });
      });
      cached = null;
      deps.events.publish({ topic: 'settings', action: 'updated' });
      return this.get();
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
