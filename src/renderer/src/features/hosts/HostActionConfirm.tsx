import type { Host } from '../../../../shared/domain';
import { ConfirmDialog } from '../../components/ConfirmDialog';

export type ConfirmedHostAction = 'disable' | 'delete' | 'reject';

/** What each action asks, in one place for the hosts table and the host details. */
const WORDING: Record<ConfirmedHostAction, { verb: string; consequence: string }> = {
  disable: {
    verb: 'Disable',
    consequence: 'Its heartbeats are refused until you enable it again. Nothing else changes.',
  },
  delete: {
    verb: 'Delete',
    consequence: 'Its credential stops working at once. To come back it must enrol again with a new token.',
  },
  reject: { verb: 'Reject', consequence: 'It can still be approved later.' },
};

/** The confirmation before a host action that cuts it off; `onConfirm` gets the reject reason. */
export function HostActionConfirm({
  host,
  action,
  onCancel,
  onConfirm,
}: {
  host: Host;
  action: ConfirmedHostAction;
  onCancel(): void;
  onConfirm(reason?: string): Promise<void>;
}) {
  const { verb, consequence } = WORDING[action];
  return (
    <ConfirmDialog
      title={`${verb} ${host.hostname}?`}
      confirmLabel={`${verb} host`}
      danger
      reasonLabel={action === 'reject' ? "Reason (shown on the host's console)" : undefined}
      onCancel={onCancel}
      onConfirm={(reason) => onConfirm(reason || undefined)}
    >
      {consequence}
    </ConfirmDialog>
  );
}
