import type { PostgresMigration } from '../migrate';
import { initial } from './0001-initial';

/** Ordered; a migration's version is its position. Never edit a released one. */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [initial];
