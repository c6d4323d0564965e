import type { TokenState } from './domain';

/**
 * A token's state at `now` (epoch ms). The one statement of the validity rule:
 * valid = not revoked ∧ now < expires_at ∧ (max_uses = 0 ∨ use_count < max_uses).
 * The server decides with it; the UI re-applies it as the clock ticks, so a token
 * flips to Expired the moment it expires.
 */
export function tokenStateAt(
  token: { revoked: boolean; expiresAt: number; maxUses: number; useCount: number },
  now: number,
): TokenState {
  if (token.revoked) return 'revoked';
  if (now >= token.expiresAt) return 'expired';
  if (token.maxUses > 0 && token.useCount >= token.maxUses) return 'exhausted';
  return 'active';
}
