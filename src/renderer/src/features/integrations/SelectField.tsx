import { useId, type ReactNode, type SelectHTMLAttributes } from 'react';

/**
 * A labelled select with optional help text. The label points at the select instead of
 * wrapping it: a wrapping label would add the chosen option to the select's own name
 * ("Webhook https://…"), which screen readers then read twice.
 */
export function SelectField({
  label,
  help,
  children,
  ...select
}: { label: string; help?: ReactNode; children: ReactNode } & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  return (
    <div className="field">
      <span>
        <label htmlFor={id}>{label}</label>
      </span>
      <select id={id} aria-describedby={help ? `${id}-help` : undefined} {...select}>
        {children}
      </select>
      {help && (
        <small id={`${id}-help`} className="muted">
          {help}
        </small>
      )}
    </div>
  );
}
