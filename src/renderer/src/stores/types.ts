import type { StateCreator } from 'zustand';
import type { AdminClient } from '../../../shared/api/client';
import type { AuditSlice } from './audit-slice';
import type { HostsSlice } from './hosts-slice';
import type { IntegrationsSlice } from './integrations-slice';
import type { RackSlice } from './rack-slice';
import type { SettingsSlice } from './settings-slice';
import type { TokensSlice } from './tokens-slice';
import type { UiSlice } from './ui-slice';

export type AppState = TokensSlice & HostsSlice & AuditSlice & UiSlice & SettingsSlice & RackSlice & IntegrationsSlice;

/** A slice creator that gets the API client handed in, so tests pass a fake one. */
export type SliceCreator<T> = (client: AdminClient) => StateCreator<AppState, [], [], T>;
