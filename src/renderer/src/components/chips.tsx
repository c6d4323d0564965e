import type { Connectivity, HostStatus, TokenState } from '../../../shared/domain';

const TOKEN_LABEL: Record<TokenState, string> = {
  active: 'Active',
  exhausted: 'Exhausted',
  expired: 'Expired',
  revoked: 'Revoked',
};

export function TokenStateChip({ state }: { state: TokenState }) {
  return <span className={`chip chip-${state}`}>{TOKEN_LABEL[state]}</span>;
}

export function HostStatusChip({ status }: { status: HostStatus }) {
  return <span className={`chip chip-${status.toLowerCase()}`}>{status[0] + status.slice(1).toLowerCase()}</span>;
}

const CONNECTIVITY_LABEL: Record<Connectivity, string> = { ONLINE: 'Online', OFFLINE: 'Offline', NEVER: 'Never seen' };

/** A coloured dot with its meaning in text too (colour alone is not enough). */
export function ConnectivityDot({ connectivity }: { connectivity: Connectivity }) {
  return (
    <span className="connectivity">
      <span className={`dot dot-${connectivity.toLowerCase()}`} aria-hidden="true" />
      {CONNECTIVITY_LABEL[connectivity]}
    </span>
  );
}

export function Labels({ labels }: { labels: string[] }) {
  if (labels.length === 0) return <span className="muted">—</span>;
  return (
    <span className="labels">
      {labels.map((l) => (
        <span key={l} className="label">
          {l}
        </span>
      ))}
    </span>
  );
}
