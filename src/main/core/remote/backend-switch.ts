import type { Logger } from 'pino';
import type { TeamServerStatus } from '../../../shared/api/bridge';
import type { AdminEvent } from '../../../shared/domain';
import type { AdminHandlers } from '../api/admin-handlers';
import type { Gatehouse } from '../gatehouse';
import type { Runtime } from '../runtime';
import { EventBus } from '../services/event-bus';
import { followRemoteEvents } from './remote-events';
import type { TeamServerTarget } from './remote-admin';
import {
  forgetTeamServer,
  loadTeamServer,
  parseTeamServerInput,
  probeTeamServer,
  saveTeamServer,
  teamServerHandlers,
  type Sealer,
} from './team-server';

/** Where admin calls and events come from right now: the embedded core or a team server. */
export interface Backend {
  handlers: AdminHandlers;
  events: EventBus;
  /** The embedded core, when it runs (null in team mode). */
  runtime: Runtime | null;
  teamServer: { url: string; pin: string } | null;
  /** Resolves once events flow (the team server's stream is open; at once for the embedded core). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export interface BackendSwitchOptions {
  /** Starts the embedded core (data directory lock, store, LAN listener, jobs). */
  startLocal: () => Promise<Runtime>;
  /** dataPaths().teamServer */
  teamServerFile: string;
  sealer: Sealer;
  logger: Logger;
}

/** The embedded core as a backend; system.info says no team server is attached. */
function localBackend(runtime: Runtime): Backend {
  const { handlers } = runtime.gatehouse;
  return {
    handlers: {
      ...handlers,
      'system.info': async (input, ctx) => ({ ...(await handlers['system.info'](input, ctx)), team_server: null }),
    },
    events: runtime.gatehouse.events,
    runtime,
    teamServer: null,
    ready: Promise.resolve(),
    stop: () => runtime.stop(),
  };
}

function remoteBackend(server: TeamServerTarget, logger: Logger): Backend {
  const events = new EventBus((error) => logger.warn({ err: error }, 'event listener failed'));
  const stream = followRemoteEvents({
    server,
    bus: events,
    onState: (state) =>
      state.connected
        ? logger.info({ url: server.url }, 'team server event stream connected')
        : logger.warn(
            { url: server.url, reason: state.reason, retry_in_ms: state.retryInMs },
            'team server event stream lost',
          ),
  });
  return {
    handlers: teamServerHandlers(server),
    events,
    runtime: null,
    teamServer: { url: server.url, pin: server.pin },
    ready: stream.connected,
    stop: async () => stream.close(),
  };
}

/**
 * The desktop's two modes behind one door: the embedded core, or a team server's admin
 * API (with the local runtime stopped, so this machine serves no LAN listener of its
 * own). Callers read `handlers()` on every call and subscribe once to `events`: a switch
 * is invisible to them apart from a `resync` event.
 */
export class BackendSwitch {
  /** Every event of whichever backend is current. */
  readonly events = new EventBus();
  private backend: Backend | null = null;
  private unforward: () => void = () => {};
  private switching: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: BackendSwitchOptions) {}

  /** Start-up: a saved team server is used instead of the embedded core. */
  async start(): Promise<Backend> {
    const saved = loadTeamServer(this.options.teamServerFile, this.options.sealer);
    return this.use(saved ? remoteBackend(saved, this.options.logger) : localBackend(await this.options.startLocal()));
  }

  get current(): Backend {
    if (!this.backend) throw new Error('the backend has not started');
    return this.backend;
  }

  handlers = (): AdminHandlers => this.current.handlers;

  /** The embedded core, or null in team mode. */
  get gatehouse(): Gatehouse | null {
    return this.backend?.runtime?.gatehouse ?? null;
  }

  status(): TeamServerStatus {
    return { team_server: this.backend?.teamServer ?? null };
  }

  /**
   * Attaches to a team server: checks the fields, proves URL, pin and credential with
   * system.info, and only then saves (credential sealed) and stops the embedded core.
   * Any refusal leaves everything as it was.
   */
  connect(input: unknown): Promise<TeamServerStatus> {
    return this.serialised(async () => {
      const server = parseTeamServerInput(input);
      await probeTeamServer(server);
      saveTeamServer(this.options.teamServerFile, this.options.sealer, server);
      await this.current.stop();
      this.use(remoteBackend(server, this.options.logger));
      this.options.logger.info({ url: server.url }, 'attached to a team server');
      return this.status();
    });
  }

  /** Back to the embedded core: forgets the team server and starts the local runtime again. */
  disconnect(): Promise<TeamServerStatus> {
    return this.serialised(async () => {
      if (!this.current.teamServer) return this.status();
      forgetTeamServer(this.options.teamServerFile);
      await this.current.stop();
      this.use(localBackend(await this.options.startLocal()));
      this.options.logger.info('detached from the team server; the embedded core runs again');
      return this.status();
    });
  }

  async stop(): Promise<void> {
    await this.switching.catch(() => {});
    this.unforward();
    await this.backend?.stop();
    this.backend = null;
  }

  private use(backend: Backend): Backend {
    this.unforward();
    this.backend = backend;
    this.unforward = backend.events.subscribe((event: AdminEvent) => this.events.publish(event));
    // Whatever the window shows came from the other backend: it refetches.
    this.events.publish({ topic: 'settings', action: 'resync' });
    return backend;
  }

  private serialised<T>(step: () => Promise<T>): Promise<T> {
    const next = this.switching.catch(() => {}).then(step);
    this.switching = next;
    return next;
  }
}
