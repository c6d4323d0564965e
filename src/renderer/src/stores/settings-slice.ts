import type { Settings } from '../../../shared/domain';
import type { SliceCreator } from './types';

export interface SettingsSlice {
  settings: Settings | null;
  loadSettings(): Promise<void>;
  saveSettings(patch: Partial<Settings>): Promise<boolean>;
}

export const createSettingsSlice: SliceCreator<SettingsSlice> = (client) => (set, get) => ({
  settings: null,
  loadSettings: () =>
    get().attempt(async () => {
      set({ settings: await client.api['settings.get']({}) });
    }, undefined),
  saveSettings: (patch) =>
    get().attempt(async () => {
      set({ settings: await client.api['settings.update'](patch) });
      get().notify('info', 'Settings saved.');
      return true;
    }, false),
});
