import type { AdminEvent } from '../domain';
import type { OperationName } from './operation-names';
import type { IpcResult, OperationInput, OperationOutput } from './operations';

/** Which team server the desktop app is attached to; null: its own embedded core. */
export interface TeamServerStatus {
  team_server: { url: string; pin: string } | null;
}

/** "Connect to a team server": its admin URL, its TLS pin (sha256//…) and a named credential (gha_…). */
export interface TeamServerInput {
  url: string;
  pin: string;
  credential: string;
}

/** The desktop-only scheduled-backup setting: where, how often, how many to keep. */
export interface BackupSchedule {
  folder: string;
  interval: 'daily' | 'weekly';
  keep: number;
}

/** What the last backup did: the file it wrote, or why it failed. */
export interface BackupResult {
  at: string;
  file: string | null;
  bytes: number | null;
  error: string | null;
}

export interface BackupState {
  schedule: BackupSchedule | null;
  last: BackupResult | null;
  /** When the next scheduled backup runs; null without a schedule or in team mode. */
  next_at: string | null;
  /** False in team mode: the team server's store is backed up where it runs. */
  available: boolean;
}

export interface SheetPdfResult {
  /** Where the PDF was written; null when the save dialog was cancelled. */
  file: string | null;
  bytes: number;
}

/**
 * What the preload script exposes as `window.gatehouse`: exactly one function per
 * contract operation and an event subscription, nothing else.
 */
export interface GatehouseBridge {
  invoke: { [N in OperationName]: (input: OperationInput<N>) => Promise<IpcResult<OperationOutput<N>>> };
  onEvent(listener: (event: AdminEvent) => void): () => void;
  /** Desktop-only guardrails the UI can ask for; absent headless. */
  desktop: {
    /** Protect the window from screen capture while a secret is on screen. */
    setSecretOnScreen(visible: boolean): void;
    /** Clear `text` from the clipboard after 60 s if it is still there. */
    copySecret(text: string): Promise<void>;
    /** The main process asks to show a page (a notification or the tray was clicked). */
    onNavigate(listener: (page: string) => void): () => void;
    /** Team mode: attach to a team server's admin API instead of the embedded core, or come back. */
    teamServer: {
      status(): Promise<IpcResult<TeamServerStatus>>;
      connect(input: TeamServerInput): Promise<IpcResult<TeamServerStatus>>;
      disconnect(): Promise<IpcResult<TeamServerStatus>>;
    };
    /** Scheduled backups of the embedded store while the app runs. */
    backups: {
      state(): Promise<IpcResult<BackupState>>;
      setSchedule(schedule: BackupSchedule | null): Promise<IpcResult<BackupState>>;
      runNow(): Promise<IpcResult<BackupState>>;
    };
    /** The enrolment sheet of an import, printed to an A4 PDF and saved where the admin chooses. */
    saveSheetPdf(input: { import_id: string }): Promise<IpcResult<SheetPdfResult>>;
  };
}

declare global {
  interface Window {
    gatehouse?: GatehouseBridge;
  }
}
