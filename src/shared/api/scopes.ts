/**
 * What a named admin credential may do. `approver` decides hosts and reads all;
 * `read-only` reads; `enrol` only creates registration tokens (automation).
 */
export const SCOPES = ['admin', 'approver', 'read-only', 'enrol'] as const;
export type Scope = (typeof SCOPES)[number];

/** The kind of access an operation needs. */
export type Access = 'read' | 'decide' | 'enrol' | 'admin';

const GRANTS: Record<Scope, readonly Access[]> = {
  admin: ['read', 'decide', 'enrol', 'admin'],
  approver: ['read', 'decide'],
  'read-only': ['read'],
  enrol: ['enrol'],
};

export function scopeAllows(scope: Scope, access: Access): boolean {
  return GRANTS[scope].includes(access);
}
