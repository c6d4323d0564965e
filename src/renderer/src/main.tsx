import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { selectClient } from './api/select-client';
import { connectLiveUpdates, createAppStore } from './stores/app-store';
import { createClockStore } from './stores/clock-store';
import { StoresProvider } from './stores/context';
import { PAGES, type Page } from './stores/ui-slice';
import './styles.css';

const client = selectClient();
const app = createAppStore(client);
connectLiveUpdates(app, client);
// Desktop: the tray or a notification asks for a page.
window.gatehouse?.desktop.onNavigate((page) => {
  if ((PAGES as readonly string[]).includes(page)) app.getState().goTo(page as Page);
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoresProvider stores={{ app, client, clock: createClockStore() }}>
      <App />
    </StoresProvider>
  </StrictMode>,
);
