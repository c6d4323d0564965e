import type { ReactNode } from 'react';
import { useSecretOnScreen } from '../../components/use-secret-on-screen';
import { CopyButton } from '../../components/CopyButton';

/**
 * A secret Gatehouse keeps only as a hash (or sealed, for signing): shown in this answer
 * and never again. Copy button, the warning, and on the desktop the window is kept out of
 * screen captures while it is on screen.
 */
export function SecretOnce({
  label,
  value,
  copyLabel,
  children,
}: {
  label: string;
  value: string;
  copyLabel: string;
  children?: ReactNode;
}) {
  useSecretOnScreen();
  return (
    <section className="stack" aria-label={label}>
      <p className="warning-text" role="note">
        Copy it now: it will not be shown again. If it is lost, make a new one and delete this one.
      </p>
      <pre className="command" data-testid="secret-once">
        {value}
      </pre>
      <div className="actions-left">
        <CopyButton text={value} label={copyLabel} secret />
      </div>
      {children}
    </section>
  );
}
