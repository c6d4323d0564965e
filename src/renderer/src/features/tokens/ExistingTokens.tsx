import { useEffect, useState } from 'react';
import type { RegistrationToken, TokenSecret } from '../../../../shared/domain';
import { tokenStateAt } from '../../../../shared/token-state';
import { TokenStateChip } from '../../components/chips';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { EmptyState } from '../../components/EmptyState';
import { AbsoluteTime, Countdown, RelativeTime } from '../../components/time';
import { copyText } from '../../lib/clipboard';
import { useApp, useNow } from '../../stores/context';
import { TokenSecretView } from './TokenSecretView';

/** A token's state as of `now`: flips to expired the moment its time passes, without a reload. */
function liveState(token: RegistrationToken, now: number): RegistrationToken['state'] {
  return tokenStateAt(
    {
      revoked: token.revoked_at !== null,
      expiresAt: Date.parse(token.expires_at),
      maxUses: token.max_uses,
      useCount: token.use_count,
    },
    now,
  );
}

export function ExistingTokens() {
  const { tokens, loaded, includeExpired, setIncludeExpired, loadTokens } = useApp((s) => ({
    tokens: s.tokens,
    loaded: s.tokensLoaded,
    includeExpired: s.includeExpired,
    setIncludeExpired: s.setIncludeExpired,
    loadTokens: s.loadTokens,
  }));
  useEffect(() => void loadTokens(), [loadTokens]);
  return (
    <div className="stack">
      <label className="check">
        <input type="checkbox" checked={includeExpired} onChange={(e) => void setIncludeExpired(e.target.checked)} />
        <span>Include expired tokens</span>
      </label>
      {!loaded ? (
        <p className="muted">Loading tokens…</p>
      ) : tokens.length === 0 ? (
        <EmptyState title="No tokens yet">Create one in the “Generate new token” tab.</EmptyState>
      ) : (
        <ul className="token-list" aria-label="Registration tokens">
          {tokens.map((t) => (
            <TokenRow key={t.id} token={t} />
          ))}
        </ul>
      )}
    </div>
  );
}

function TokenRow({ token }: { token: RegistrationToken }) {
  const now = useNow();
  const { revokeToken, deleteToken, revealToken, setQuery, setAddHostOpen, goTo } = useApp((s) => ({
    revokeToken: s.revokeToken,
    deleteToken: s.deleteToken,
    revealToken: s.revealToken,
    setQuery: s.setQuery,
    setAddHostOpen: s.setAddHostOpen,
    goTo: s.goTo,
  }));
  const shownNames = token.used_by_nodes.slice(0, 5).map((n) => n.hostname);
  const more = Math.max(0, token.use_count - shownNames.length);
  const [confirm, setConfirm] = useState<'revoke' | 'delete' | null>(null);
  const [revealed, setSecret] = useState<TokenSecret | null>(null);
  const state = liveState(token, now);
  const usable = state === 'active';
  // The secret disappears the moment the token can no longer be used.
  const secret = usable ? revealed : null;

  return (
    <li className="token-row" aria-label={`Token ${token.prefix}`} data-token-id={token.id}>
      <div className="token-row-head">
        <span className="mono strong">{token.prefix}…</span>
        <TokenStateChip state={state} />
        {token.auto_approve && <span className="chip chip-warning">Auto-approve</span>}
        <span>{token.description || <span className="muted">no description</span>}</span>
        <span className="tabular">
          {token.use_count} / {token.max_uses === 0 ? '∞' : token.max_uses} uses
        </span>
        <span className="muted">
          {state === 'expired' ? (
            'expired'
          ) : state === 'revoked' ? (
            'revoked'
          ) : (
            <>
              expires <Countdown to={token.expires_at} />
            </>
          )}
        </span>
      </div>
      <p className="muted">
        Created by {token.created_by} <AbsoluteTime at={token.created_at} /> ·{' '}
        {token.allowed_cidrs.length ? `only from ${token.allowed_cidrs.join(', ')}` : 'from any network'}
        {token.labels.length > 0 && <> · labels {token.labels.join(', ')}</>}
      </p>
      {token.use_count > 0 && (
        <p className="muted">
          Used by {token.use_count} host{token.use_count === 1 ? '' : 's'}: {shownNames.join(', ')}
          {more > 0 && ` and ${more} more`}{' '}
          <button
            type="button"
            className="link"
            onClick={() => {
              void setQuery('table', { token_id: token.id, status: undefined, connectivity: undefined });
              setAddHostOpen(false);
              goTo('hosts');
            }}
          >
            Show them in the hosts table
          </button>
        </p>
      )}
      {token.failed_attempts.count > 0 && (
        <p className="warning-text">
          {token.failed_attempts.count} refused attempt{token.failed_attempts.count === 1 ? '' : 's'}, last from{' '}
          {token.failed_attempts.last_source} <RelativeTime at={token.failed_attempts.last_at} />
        </p>
      )}
      <div className="actions-left">
        {usable && (
          <>
            <button type="button" onClick={async () => setSecret(secret ? null : await revealToken(token.id))}>
              {secret ? 'Hide QR' : 'Show QR'}
            </button>
            <button
              type="button"
              onClick={async () => {
                const s = await revealToken(token.id);
                if (s) await copyText(s.token, { secret: true });
              }}
            >
              Copy again
            </button>
          </>
        )}
        {token.revoked_at === null && (
          <button type="button" onClick={() => setConfirm('revoke')}>
            Revoke
          </button>
        )}
        <button type="button" className="danger-link" onClick={() => setConfirm('delete')}>
          Delete
        </button>
      </div>
      {secret && <TokenSecretView secret={secret} expiresAt={token.expires_at} tokenId={token.id} />}
      {confirm && (
        <ConfirmDialog
          title={confirm === 'revoke' ? `Revoke ${token.prefix}…?` : `Delete ${token.prefix}…?`}
          confirmLabel={confirm === 'revoke' ? 'Revoke token' : 'Delete token'}
          danger
          onCancel={() => setConfirm(null)}
          onConfirm={async () => {
            await (confirm === 'revoke' ? revokeToken(token.id) : deleteToken(token.id));
            setConfirm(null);
          }}
        >
          {confirm === 'revoke'
            ? 'No new host can register with it. Hosts that already registered are not affected.'
            : 'It disappears from this list for good. Hosts that registered with it stay, and so does the audit trail.'}
        </ConfirmDialog>
      )}
    </li>
  );
}
