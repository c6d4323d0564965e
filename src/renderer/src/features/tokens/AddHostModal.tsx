import { useState } from 'react';
import { Modal } from '../../components/Modal';
import { useApp } from '../../stores/context';
import { ExistingTokens } from './ExistingTokens';
import { GenerateTokenForm } from './GenerateTokenForm';

type Tab = 'generate' | 'existing';

/** Add Host: make a registration token, or reuse one that is still valid. */
export function AddHostModal() {
  const setOpen = useApp((s) => s.setAddHostOpen);
  const close = () => setOpen(false);
  const [tab, setTab] = useState<Tab>('generate');
  const tabs: [Tab, string][] = [
    ['generate', 'Generate new token'],
    ['existing', 'Existing tokens'],
  ];
  return (
    <Modal title="Add Host" onClose={close} wide>
      <div role="tablist" aria-label="Add Host" className="tabs">
        {tabs.map(([id, label]) => (
          <button
            key={id}
            type="button"
            role="tab"
            id={`tab-${id}`}
            aria-selected={tab === id}
            aria-controls={`panel-${id}`}
            tabIndex={tab === id ? 0 : -1}
            onClick={() => setTab(id)}
            onKeyDown={(e) => {
              if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
                const next = tab === 'generate' ? 'existing' : 'generate';
                setTab(next);
                document.getElementById(`tab-${next}`)?.focus();
              }
            }}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tab-panel">
        {tab === 'generate' ? <GenerateTokenForm /> : <ExistingTokens />}
      </div>
    </Modal>
  );
}
