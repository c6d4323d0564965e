import type { Migration } from '../migrate';
import { initial } from './0001-initial';
import { fleet } from './0002-fleet';
import { integrations } from './0003-integrations';
import { search } from './0004-search';
import { rack } from './0005-rack';

/** Ordered; a migration's version is its position. Never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [initial, fleet, integrations, search, rack];
