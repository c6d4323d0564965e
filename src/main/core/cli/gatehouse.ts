import { Command, CommanderError, Option } from 'commander';
import type { OperationName } from '../../../shared/api/operations';
import type {
  AdminCredential,
  AuditEntry,
  Host,
  RegistrationToken,
  Webhook,
  WebhookDelivery,
} from '../../../shared/domain';
import { CliError, EXIT, callOperation, resolveTarget, type TargetOptions } from './cli-client';
import { details, json, table, type Column } from './cli-output';
import { backupStore, restoreStore } from './store-commands';
import { storeCopy, StoreCopyError, type StoreCopyReport } from './store-copy';

/** Where a run's output goes; the process's own streams unless a test hands in others. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

type Output = 'table' | 'json';
interface GlobalOptions extends TargetOptions {
  output: Output;
}

export const EXIT_CODES_HELP = `
Exit codes:
  0  done
  2  usage: the command line is wrong
  3  not signed in (401 UNAUTHORIZED): a missing, wrong, revoked or expired credential
  4  forbidden (403 FORBIDDEN): the credential's scope does not allow this
  5  not found (404 NOT_FOUND)
  6  refused (other 4xx: VALIDATION_FAILED, CONFLICT, TOKEN_NOT_VALID, RATE_LIMITED...; a refused restore)
  7  server unreachable, failing (5xx, STORE_UNAVAILABLE) or not matching --pin
Errors print the contract's code and sentence on stderr (with -o json, the error body).

Finding the server:
  --data-dir DIR                 a local server: DIR/endpoint.json and DIR/admin-token
  --server URL --pin FINGERPRINT a remote one; the credential comes from GATEHOUSE_CREDENTIAL (gha_...)
GATEHOUSE_CREDENTIAL set beside --data-dir acts under that credential's name and scope.
`;

const hostColumns: Column<Host>[] = [
  { heading: 'id', value: (h) => h.id },
  { heading: 'hostname', value: (h) => h.hostname },
  { heading: 'status', value: (h) => h.status },
  { heading: 'connectivity', value: (h) => h.connectivity },
  { heading: 'address', value: (h) => h.remote_addr },
  { heading: 'labels', value: (h) => h.labels },
  { heading: 'registered', value: (h) => h.registered_at },
];

const queueColumns: Column<Host>[] = [
  { heading: 'id', value: (h) => h.id },
  { heading: 'hostname', value: (h) => h.hostname },
  { heading: 'code', value: (h) => h.verification_code },
  { heading: 'address', value: (h) => h.remote_addr },
  { heading: 'token', value: (h) => h.token_prefix },
  { heading: 'registered', value: (h) => h.registered_at },
  {
    heading: 'notes',
    value: (h) =>
      [
        h.replaces ? `re-enrols ${h.replaces_hostname ?? h.replaces}` : '',
        h.conflict ? 'conflict' : '',
        h.alarm ? `alarm:${h.alarm}` : '',
        h.expected ? `expected:${h.expected.hostname}` : '',
      ]
        .filter(Boolean)
        .join(' '),
  },
];

const tokenColumns: Column<RegistrationToken>[] = [
  { heading: 'id', value: (t) => t.id },
  { heading: 'prefix', value: (t) => t.prefix },
  { heading: 'state', value: (t) => t.state },
  { heading: 'uses', value: (t) => `${t.use_count}/${t.max_uses === 0 ? '∞' : t.max_uses}` },
  { heading: 'expires', value: (t) => t.expires_at },
  { heading: 'auto', value: (t) => t.auto_approve },
  { heading: 'description', value: (t) => t.description },
];

const webhookColumns: Column<Webhook>[] = [
  { heading: 'id', value: (w) => w.id },
  { heading: 'url', value: (w) => w.url },
  { heading: 'events', value: (w) => w.events.join(',') },
  { heading: 'preset', value: (w) => w.preset },
];

const deliveryColumns: Column<WebhookDelivery>[] = [
  { heading: 'event', value: (d) => d.event },
  { heading: 'state', value: (d) => d.state },
  { heading: 'attempts', value: (d) => String(d.attempts) },
  { heading: 'status', value: (d) => (d.last_status === null ? null : String(d.last_status)) },
  { heading: 'ms', value: (d) => (d.response_ms === null ? null : String(d.response_ms)) },
  { heading: 'error', value: (d) => d.last_error },
];

const credentialColumns: Column<AdminCredential>[] = [
  { heading: 'id', value: (c) => c.id },
  { heading: 'name', value: (c) => c.name },
  { heading: 'scope', value: (c) => c.scope },
  { heading: 'prefix', value: (c) => c.prefix },
  { heading: 'expires', value: (c) => c.expires_at },
  { heading: 'revoked', value: (c) => c.revoked_at },
  { heading: 'last used', value: (c) => c.last_used_at },
];

const auditColumns: Column<AuditEntry>[] = [
  { heading: 'at', value: (e) => e.at },
  { heading: 'actor', value: (e) => e.actor },
  { heading: 'action', value: (e) => e.action },
  { heading: 'target', value: (e) => (e.target_id ? `${e.target_type}:${e.target_id}` : e.target_type) },
];

/** A command option and the operation input field it fills. */
interface FieldOption {
  flags: string;
  description: string;
  field: string;
  parse?: (value: string, previous: unknown) => unknown;
  choices?: readonly string[];
  required?: boolean;
}

/**
 * One `noun verb` of the command line: the operation it calls (from the operation table,
 * which supplies method, path and validation), how its arguments fill the input, and how a
 * person reads the answer. Nothing here knows a URL.
 */
interface CommandSpec {
  noun: string;
  /** Absent: the noun alone is the command (`gatehouse queue`). */
  verb?: string;
  summary: string;
  operation: OperationName;
  /** A positional `<id>` filling `input.id`. */
  id?: true;
  options?: FieldOption[];
  /** Input fixed by the command itself (`queue` lists PENDING hosts). */
  fixed?: Record<string, unknown>;
  human: (result: unknown) => string;
}

const int = (value: string) => {
  if (!/^\d+$/.test(value)) throw new CliError('USAGE', `expected a whole number, not ${value}`, EXIT.usage);
  return Number(value);
};
const number = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new CliError('USAGE', `expected a number, not ${value}`, EXIT.usage);
  return n;
};
const collect = (value: string, previous: unknown) => [...((previous as string[] | undefined) ?? []), value];

const listOf =
  <Row>(key: string, columns: Column<Row>[], footer?: (r: Record<string, unknown>) => string) =>
  (result: unknown) => {
    const r = result as Record<string, unknown>;
    return table(r[key] as Row[], columns) + (footer ? footer(r) : '');
  };
const one = (result: unknown) => details(result as Record<string, unknown>);
const done = (what: string) => () => `${what}\n`;
const moreHosts = (r: Record<string, unknown>) =>
  `${String(r.total_count)} in all${r.next_cursor ? `; more with --cursor ${String(r.next_cursor)}` : ''}\n`;

const HOST_STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'DISABLED'] as const;

export const COMMANDS: readonly CommandSpec[] = [
  {
    noun: 'tokens',
    verb: 'create',
    summary: 'issue a registration token (shown this once)',
    operation: 'tokens.create',
    options: [
      { flags: '--description <text>', description: 'what the token is for', field: 'description' },
      {
        flags: '--expires-in-hours <n>',
        description: 'lifetime in hours (default 24 unless --expires-at)',
        field: 'expires_in_hours',
        parse: number,
      },
      { flags: '--expires-at <iso>', description: 'an exact expiry instead', field: 'expires_at' },
      {
        flags: '--max-uses <n>',
        description: 'hosts it may enrol; 0 = unlimited (default 1)',
        field: 'max_uses',
        parse: int,
      },
      {
        flags: '--label <key=value>',
        description: 'given to every host it enrols (repeatable)',
        field: 'labels',
        parse: collect,
      },
      { flags: '--auto-approve', description: 'hosts skip the approval queue', field: 'auto_approve' },
      {
        flags: '--allowed-cidr <cidr>',
        description: 'only from this network (repeatable)',
        field: 'allowed_cidrs',
        parse: collect,
      },
    ],
    fixed: { max_uses: 1 },
    human: (result) => {
      const t = result as RegistrationToken & { token: string; join_command: string; join_url: string };
      return (
        `token:        ${t.token}\n` +
        `id:           ${t.id}\n` +
        `expires:      ${t.expires_at}\n` +
        `uses:         ${t.max_uses === 0 ? 'unlimited' : t.max_uses}\n` +
        `join command: ${t.join_command}\n` +
        `join page:    ${t.join_url}\n` +
        '(the token is shown this once)\n'
      );
    },
  },
  {
    noun: 'tokens',
    verb: 'list',
    summary: 'list registration tokens',
    operation: 'tokens.list',
    options: [{ flags: '--include-expired', description: 'also expired ones', field: 'include_expired' }],
    human: listOf('tokens', tokenColumns),
  },
  { noun: 'tokens', verb: 'show', summary: 'one token', operation: 'tokens.get', id: true, human: one },
  { noun: 'tokens', verb: 'revoke', summary: 'stop a token working', operation: 'tokens.revoke', id: true, human: one },
  {
    noun: 'tokens',
    verb: 'delete',
    summary: 'delete a token',
    operation: 'tokens.delete',
    id: true,
    human: done('deleted'),
  },
  {
    noun: 'hosts',
    verb: 'list',
    summary: 'list hosts',
    operation: 'hosts.list',
    options: [
      { flags: '--status <status>', description: 'only this status', field: 'status', choices: HOST_STATUSES },
      { flags: '--q <words>', description: 'search hostname, address, labels, serial, MAC', field: 'q' },
      { flags: '--limit <n>', description: 'at most n (1-500)', field: 'limit', parse: int },
      { flags: '--cursor <cursor>', description: 'the next page', field: 'cursor' },
    ],
    human: listOf('hosts', hostColumns, moreHosts),
  },
  { noun: 'hosts', verb: 'show', summary: 'one host', operation: 'hosts.get', id: true, human: one },
  { noun: 'hosts', verb: 'approve', summary: 'approve a host', operation: 'hosts.approve', id: true, human: one },
  {
    noun: 'hosts',
    verb: 'reject',
    summary: 'reject a host',
    operation: 'hosts.reject',
    id: true,
    options: [{ flags: '--reason <text>', description: 'told to the host', field: 'reason' }],
    human: one,
  },
  {
    noun: 'hosts',
    verb: 'disable',
    summary: 'stop an approved host',
    operation: 'hosts.disable',
    id: true,
    human: one,
  },
  {
    noun: 'hosts',
    verb: 'enable',
    summary: 'let a disabled host back',
    operation: 'hosts.enable',
    id: true,
    human: one,
  },
  {
    noun: 'hosts',
    verb: 'delete',
    summary: 'delete a host; its credential stops at once',
    operation: 'hosts.delete',
    id: true,
    human: done('deleted'),
  },
  {
    noun: 'queue',
    summary: 'hosts waiting for approval, with their verification codes',
    operation: 'hosts.list',
    fixed: { status: 'PENDING', sort: 'registered_at' },
    options: [{ flags: '--limit <n>', description: 'at most n (1-500)', field: 'limit', parse: int }],
    human: listOf('hosts', queueColumns, moreHosts),
  },
  {
    noun: 'audit',
    summary: 'the audit trail, newest first',
    operation: 'audit.list',
    options: [
      { flags: '--limit <n>', description: 'at most n entries', field: 'limit', parse: int },
      { flags: '--before <cursor>', description: 'older than this (next_cursor)', field: 'before', parse: int },
      { flags: '--actor <name>', description: 'only this actor', field: 'actor' },
    ],
    human: listOf('entries', auditColumns, (r) => (r.next_cursor ? `older: --before ${String(r.next_cursor)}\n` : '')),
  },
  {
    noun: 'inventory',
    summary: 'approved hosts as an Ansible inventory, JSON or CSV',
    operation: 'inventory.export',
    options: [
      {
        flags: '--format <format>',
        description: 'ansible (default), json or csv',
        field: 'format',
        choices: ['ansible', 'json', 'csv'],
      },
    ],
    human: (result) => {
      const data = (result as { data: string }).data;
      return data.endsWith('\n') ? data : data + '\n';
    },
  },
  {
    noun: 'credentials',
    verb: 'create',
    summary: 'make a named admin credential (shown this once)',
    operation: 'credentials.create',
    options: [
      { flags: '--name <name>', description: 'who it is; the audit actor', field: 'name', required: true },
      {
        flags: '--scope <scope>',
        description: 'what it may do',
        field: 'scope',
        choices: ['admin', 'approver', 'read-only', 'enrol'],
        required: true,
      },
      { flags: '--expires-at <iso>', description: 'when it stops working', field: 'expires_at' },
    ],
    human: (result) => {
      const c = result as AdminCredential & { credential: string };
      return `credential: ${c.credential}\nid:         ${c.id}\nname:       ${c.name}\nscope:      ${c.scope}\n(shown this once; use it as GATEHOUSE_CREDENTIAL)\n`;
    },
  },
  {
    noun: 'credentials',
    verb: 'list',
    summary: 'list named admin credentials',
    operation: 'credentials.list',
    human: listOf('credentials', credentialColumns),
  },
  {
    noun: 'credentials',
    verb: 'revoke',
    summary: 'stop a credential working',
    operation: 'credentials.revoke',
    id: true,
    human: done('revoked'),
  },
  {
    noun: 'webhooks',
    verb: 'create',
    summary: 'send events to a URL, signed (the secret is shown this once)',
    operation: 'webhooks.create',
    options: [
      { flags: '--url <url>', description: 'where to POST', field: 'url', required: true },
      {
        flags: '--events <list>',
        description: 'comma-separated: host.pending,host.approved,… or *',
        field: 'events',
        parse: (v) => v.split(',').filter(Boolean),
        required: true,
      },
      {
        flags: '--preset <service>',
        description: 'shape for a chat service',
        field: 'preset',
        choices: ['slack', 'teams', 'discord', 'mattermost'],
      },
    ],
    human: one,
  },
  {
    noun: 'webhooks',
    verb: 'list',
    summary: 'list webhooks',
    operation: 'webhooks.list',
    human: listOf('webhooks', webhookColumns),
  },
  {
    noun: 'webhooks',
    verb: 'test',
    summary: 'send a test event now',
    operation: 'webhooks.test',
    id: true,
    human: one,
  },
  {
    noun: 'webhooks',
    verb: 'deliveries',
    summary: "a webhook's delivery log",
    operation: 'webhooks.deliveries',
    id: true,
    human: listOf('deliveries', deliveryColumns),
  },
  {
    noun: 'webhooks',
    verb: 'delete',
    summary: 'stop sending to a webhook',
    operation: 'webhooks.delete',
    id: true,
    human: done('deleted'),
  },
];

function fail(io: CliIo, output: Output, error: CliError): number {
  if (output === 'json') io.stderr(json({ error: { code: error.code, message: error.message } }));
  else io.stderr(`gatehouse: ${error.code}: ${error.message}\n`);
  return error.exitCode;
}

/** The input an operation gets from a command's id, options and fixed values. */
function inputOf(spec: CommandSpec, id: string | undefined, opts: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = { ...spec.fixed };
  if (spec.id) input.id = id;
  for (const option of spec.options ?? []) {
    const key = new Option(option.flags).attributeName();
    if (opts[key] !== undefined) input[option.field] = opts[key];
  }
  if (spec.operation === 'tokens.create' && input.expires_in_hours === undefined && input.expires_at === undefined) {
    input.expires_in_hours = 24;
  }
  return input;
}

/**
 * `gatehouse <noun> <verb> [-o json]`: runs one command and returns its exit code
 * (see EXIT_CODES_HELP). Never calls process.exit, so tests run it in process.
 */
export async function runGatehouse(argv: string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('gatehouse')
    .description('Drive a Gatehouse server from the command line: tokens, approvals, audit, inventory, store backups.')
    .option('--data-dir <dir>', 'a local server: reads DIR/endpoint.json and DIR/admin-token')
    .option('--server <url>', 'a remote admin listener (credential from GATEHOUSE_CREDENTIAL)')
    .option('--pin <fingerprint>', "the server's TLS public-key pin (base64 SHA-256 SPKI), required with https")
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError('(gatehouse --help lists the commands and exit codes)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  const nouns = new Map<string, Command>();
  for (const spec of COMMANDS) {
    let command: Command;
    if (spec.verb) {
      let noun = nouns.get(spec.noun);
      if (!noun) {
        noun = program.command(spec.noun).description(
          `${spec.noun}: ${COMMANDS.filter((c) => c.noun === spec.noun)
            .map((c) => c.verb)
            .join(', ')}`,
        );
        noun.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
        nouns.set(spec.noun, noun);
      }
      command = noun.command(spec.verb);
    } else {
      command = program.command(spec.noun);
    }
    command.description(spec.summary).exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    if (spec.id) command.argument('<id>', 'the id (a UUID)');
    for (const field of spec.options ?? []) {
      const option = new Option(field.flags, field.description);
      if (field.choices) option.choices(field.choices);
      if (field.parse) option.argParser(field.parse);
      if (field.required) option.makeOptionMandatory();
      command.addOption(option);
    }
    command.action(async (...args: unknown[]) => {
      const cmd = args.at(-1) as Command;
      const opts = cmd.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
      const id = spec.id ? (args[0] as string) : undefined;
      const target = resolveTarget(opts, io.env);
      const result = await callOperation(target, spec.operation, inputOf(spec, id, cmd.opts()));
      if (opts.output === 'json') {
        const raw = result as { content_type?: string; data?: string } | undefined;
        // Raw answers (inventory) are JSON already, or text a script wants as is.
        if (spec.operation === 'inventory.export' && raw?.data !== undefined) io.stdout(spec.human(result));
        else io.stdout(json(result ?? { ok: true }));
      } else {
        io.stdout(spec.human(result));
      }
    });
  }

  const store = program.command('store').description('back up and restore the SQLite store (no server needed)');
  store.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const storeReport = (cmd: Command, report: Awaited<ReturnType<typeof backupStore>>, verb: string) => {
    const opts = cmd.optsWithGlobals<GlobalOptions>();
    io.stdout(
      opts.output === 'json'
        ? json(report)
        : `${verb} ${report.file}: ${report.hosts} hosts, ${report.registration_tokens} tokens, ` +
            `schema ${report.schema_version}, ${report.bytes} bytes in ${report.milliseconds} ms\n`,
    );
  };
  store
    .command('backup')
    .description("a consistent copy of DIR's store, safe while the server runs; written 0600")
    .requiredOption('--to <file>', 'where to write the backup')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .action(async (opts: { to: string }, cmd: Command) => {
      const dataDir = cmd.optsWithGlobals<GlobalOptions>().dataDir;
      if (!dataDir) throw new CliError('USAGE', 'store backup needs --data-dir DIR (the store to copy).', EXIT.usage);
      storeReport(cmd, await backupStore(dataDir, opts.to), 'backed up to');
    });
  store
    .command('restore')
    .description("replace the store of DIR with a backup; DIR's server must be stopped")
    .requiredOption('--from <file>', 'the backup to restore')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .action(async (opts: { from: string }, cmd: Command) => {
      const dataDir = cmd.optsWithGlobals<GlobalOptions>().dataDir;
      if (!dataDir) throw new CliError('USAGE', 'store restore needs --data-dir DIR (where to restore).', EXIT.usage);
      storeReport(cmd, await restoreStore(opts.from, dataDir), 'restored');
    });

  store
    .command('copy')
    .description("copy DIR's SQLite store into PostgreSQL (team mode), verified by counts and a digest per table")
    .requiredOption('--from <dir>', 'the data directory to copy (its server stopped)')
    .requiredOption('--to <url>', 'postgres://… of the team store')
    .option('--force', 'empty a non-empty target first')
    .option('--secret-key-file <file>', 'the key that sealed the copies (default: DIR/secret.key)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .action(async (opts: { from: string; to: string; force?: boolean; secretKeyFile?: string }, cmd: Command) => {
      let report: StoreCopyReport;
      try {
        report = await storeCopy(opts);
      } catch (error) {
        if (!(error instanceof StoreCopyError)) throw error;
        const exit = {
          CONFLICT: EXIT.refused,
          VALIDATION_FAILED: EXIT.refused,
          NOT_FOUND: EXIT.notFound,
          INTERNAL: EXIT.unavailable,
        };
        throw new CliError(error.code, error.message, exit[error.code]);
      }
      const asJson = cmd.optsWithGlobals<GlobalOptions>().output === 'json';
      io.stdout(
        asJson
          ? json(report)
          : report.tables
              .map((t) => `${t.table}: ${t.rows} rows, digest ${t.digest.slice(0, 16)}… (verified)`)
              .join('\n') + `\ncopied in ${report.milliseconds} ms\n`,
      );
    });

  const output = (): Output => program.opts<GlobalOptions>().output;
  try {
    if (argv.length === 0) {
      io.stdout(program.helpInformation() + EXIT_CODES_HELP);
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0.
      exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else if (error instanceof CliError) {
      exitCode = fail(io, output(), error);
    } else {
      exitCode = fail(io, output(), new CliError('INTERNAL', (error as Error).message, EXIT.unavailable));
    }
  }
  return exitCode;
}
