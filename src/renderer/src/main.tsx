import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { selectClient } from './api/select-client';
import { connectLiveUpdates, createAppStore } from './stores/app-store';
import { createClockStore } from './stores/clock-store';
import { StoresProvider } from './stores/context';
import './styles.css';

const client = selectClient();
const app = createAppStore(client);
connectLiveUpdates(app, client);
// Desktop: the tray or a notification asks for a page.
window.gatehouse?.desktop.onNavigate((page) => {
  if (page === 'hosts' || page === 'audit' || page === 'settings') app.getState().goTo(page);
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoresProvider stores={{ app, client, clock: createClockStore() }}>
      <App />
    </StoresProvider>
  </StrictMode>,
);
