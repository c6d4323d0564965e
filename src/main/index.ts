// Electron entry: app lifecycle only. Everything else is in ./electron (the shell) and ./core (the rules).
import { startDesktop } from './electron/desktop-app';

void startDesktop();
