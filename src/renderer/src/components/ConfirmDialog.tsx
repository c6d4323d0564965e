import { useState, type ReactNode } from 'react';
import { Modal } from './Modal';

interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** Ask for a free-text reason (rejections). */
  reasonLabel?: string;
  onConfirm(reason: string): void | Promise<unknown>;
  onCancel(): void;
}

/** Asks before anything that cannot be undone; the safe choice has focus first. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  danger,
  reasonLabel,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <Modal title={title} onClose={onCancel}>
      <form
        className="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          await onConfirm(reason.trim());
          setBusy(false);
        }}
      >
        <div>{children}</div>
        {reasonLabel && (
          <label className="field">
            <span>{reasonLabel}</span>
            <input value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} autoFocus />
          </label>
        )}
        <div className="actions">
          <button type="button" onClick={onCancel} autoFocus={!reasonLabel}>
            Cancel
          </button>
          <button type="submit" className={danger ? 'danger' : 'primary'} disabled={busy}>
            {confirmLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}
