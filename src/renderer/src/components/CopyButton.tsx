import { useState } from 'react';
import { copyText } from '../lib/clipboard';

/** Copies `text`; says "Copied" for two seconds, or why it could not. */
export function CopyButton({ text, label, secret }: { text: string; label: string; secret?: boolean }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <button
      type="button"
      onClick={async () => {
        setState((await copyText(text, { secret })) ? 'copied' : 'failed');
        setTimeout(() => setState('idle'), 2000);
      }}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy blocked — select and copy' : label}
    </button>
  );
}
