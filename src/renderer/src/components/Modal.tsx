import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/** Open dialogs, innermost last: only the topmost one hears Escape and Tab. */
const stack: HTMLElement[] = [];

interface ModalProps {
  title: string;
  onClose(): void;
  children: ReactNode;
  wide?: boolean;
}

/**
 * A dialog rendered over the page (a portal, so it never sits inside a table row) that
 * keeps focus inside itself (Tab and Shift+Tab wrap), closes on Escape only when it is
 * the topmost dialog, takes focus back when the focused control disappears (Create,
 * Approve), and gives focus back to whatever opened it.
 */
export function Modal({ title, onClose, children, wide }: ModalProps) {
  const dialog = useRef<HTMLDivElement>(null);
  // Unique per dialog: a confirmation opened over another modal must be named by its own title.
  const titleId = useId();
  // Read during the first render: by the time effects run, autoFocus has already moved focus inside.
  const [opener] = useState(() => document.activeElement as HTMLElement | null);
  const onCloseRef = useRef(onClose);
  useEffect(() => {
    onCloseRef.current = onClose;
  }, [onClose]);

  useEffect(() => {
    const self = dialog.current!;
    stack.push(self);
    // React's autoFocus (a first field, or Cancel in a confirmation) has already run; otherwise
    // the first field, else the first control after the title's Close button.
    if (!self.contains(document.activeElement)) {
      const field = self.querySelector<HTMLElement>('input:not([disabled]), select:not([disabled]), textarea');
      const control = [...self.querySelectorAll<HTMLElement>(FOCUSABLE)].find((el) => !el.closest('.modal-header'));
      (field ?? control ?? self).focus();
    }
    const onKey = (event: KeyboardEvent) => {
      if (stack.at(-1) !== self) return;
      if (event.key === 'Escape') {
        event.stopPropagation();
        event.preventDefault();
        onCloseRef.current();
        return;
      }
      if (event.key !== 'Tab') return;
      const items = [...self.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
      if (items.length === 0) return;
      const [head, tail] = [items[0]!, items[items.length - 1]!];
      if (!self.contains(document.activeElement)) {
        event.preventDefault();
        head.focus();
      } else if (event.shiftKey && document.activeElement === head) {
        event.preventDefault();
        tail.focus();
      } else if (!event.shiftKey && document.activeElement === tail) {
        event.preventDefault();
        head.focus();
      }
    };
    // The focused button went away (a form replaced by its result): keep focus in the dialog.
    const observer = new MutationObserver(() => {
      if (stack.at(-1) === self && (document.activeElement === document.body || !document.activeElement)) {
        const target = self.querySelector<HTMLElement>('[data-autofocus-after]') ?? self;
        target.focus();
      }
    });
    observer.observe(self, { childList: true, subtree: true });
    document.addEventListener('keydown', onKey, true);
    return () => {
      observer.disconnect();
      document.removeEventListener('keydown', onKey, true);
      stack.splice(stack.indexOf(self), 1);
      if (opener && opener.isConnected) opener.focus();
      else (stack.at(-1) ?? document.querySelector<HTMLElement>('main h1'))?.focus();
    };
  }, [opener]);

  return createPortal(
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={dialog}
        className={wide ? 'modal modal-wide' : 'modal'}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
      >
        {/* Not <header>: outside any section that is a banner landmark, and two open dialogs would make two. */}
        <div className="modal-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </div>
        {children}
      </div>
    </div>,
    document.body,
  );
}
