import type { ParsedInput } from '../../../shared/api/operations';
import type {
  ApprovalRule,
  ExpectedHost,
  ExpectedImportResult,
  HostAlarm,
  RegistrationToken,
} from '../../../shared/domain';
import type { SliceCreator } from './types';

/** An alarm the admin has not dismissed yet: shown as the app-level banner. */
export interface AlarmNotice {
  key: string;
  /** The host to open, when the alarm names one. */
  hostId: string | null;
  text: string;
}

export interface RackSlice {
  expectedHosts: ExpectedHost[];
  expectedTotal: number;
  expectedLoaded: boolean;
  loadExpected(): Promise<void>;
  /** Imports a CSV; good rows are kept and listed, refused rows come back with their line and reason. */
  importExpected(csv: string, autoApprove: boolean): Promise<ExpectedImportResult | null>;

  rules: ApprovalRule[];
  rulesLoaded: boolean;
  loadRules(): Promise<void>;
  createRule(input: ParsedInput<'rules.create'>): Promise<ApprovalRule | null>;
  updateRule(input: ParsedInput<'rules.update'>): Promise<ApprovalRule | null>;
  /** Moves a rule one place earlier (-1) or later (+1) in the evaluation order. */
  moveRule(id: string, delta: -1 | 1): Promise<boolean>;
  deleteRule(id: string): Promise<boolean>;

  alarms: AlarmNotice[];
  /** A host alarm event: fetch the hosts it names and say what each alarm means. */
  raiseHostAlarm(ids: string[]): Promise<void>;
  raiseTokenAlarm(id: string): Promise<void>;
  dismissAlarm(key: string): void;
}

/** Each alarm in plain words: what was seen and what to do about it. */
export const ALARM_TEXT: Record<HostAlarm, string> = {
  clone:
    'Possible clone: it reports the serial, system UUID or MAC of an expected machine that has already enrolled. It will not be approved by itself; check the machine at the rack before approving it.',
  credential_reuse:
    'Credential reuse: its host credential was used from two places. Someone may have copied it; disable the host and re-enrol it if you did not move it.',
  token_replay:
    'Token replay: the single-use token it enrolled with was presented again from another address after it was used. The token may have leaked.',
};

/** Short form for flags and table cells. */
export const ALARM_SHORT: Record<HostAlarm, string> = {
  clone: 'possible clone',
  credential_reuse: 'credential reused',
  token_replay: 'token replayed',
};

export const createRackSlice: SliceCreator<RackSlice> = (client) => (set, get) => {
  const addAlarm = (alarm: AlarmNotice) => {
    const others = get().alarms.filter((a) => a.key !== alarm.key);
    set({ alarms: [...others.slice(-4), alarm] });
  };
  return {
    expectedHosts: [],
    expectedTotal: 0,
    expectedLoaded: false,
    loadExpected: () =>
      get().attempt(async () => {
        const page = await client.api['expected.list']({ limit: 10_000 });
        set({ expectedHosts: page.expected_hosts, expectedTotal: page.total_count, expectedLoaded: true });
      }, undefined),
    importExpected: (csv, autoApprove) =>
      get().attempt(async () => {
        const result = await client.api['expected.import']({ csv, ...(autoApprove ? { auto_approve: true } : {}) });
        await get().loadExpected();
        return result;
      }, null),

    rules: [],
    rulesLoaded: false,
    loadRules: () =>
      get().attempt(async () => {
        const { rules } = await client.api['rules.list']({});
        set({ rules: [...rules].sort((a, b) => a.position - b.position), rulesLoaded: true });
      }, undefined),
    createRule: (input) =>
      get().attempt(async () => {
        const rule = await client.api['rules.create'](input);
        await get().loadRules();
        get().notify('info', `Rule “${rule.name}” created.`);
        return rule;
      }, null),
    async updateRule(input) {
      // Shown at once (a toggle must not lag behind the click), put back if the server refuses.
      const before = get().rules;
      const { id, match, ...patch } = input;
      set({ rules: before.map((r) => (r.id === id ? { ...r, ...patch, match: match ?? r.match } : r)) });
      const rule = await get().attempt(() => client.api['rules.update'](input), null);
      set({ rules: rule ? get().rules.map((r) => (r.id === rule.id ? rule : r)) : before });
      return rule;
    },
    async moveRule(id, delta) {
      const ids = get().rules.map((r) => r.id);
      const at = ids.indexOf(id);
      const to = at + delta;
      if (at < 0 || to < 0 || to >= ids.length) return false;
      [ids[at], ids[to]] = [ids[to]!, ids[at]!];
      return get().attempt(async () => {
        const { rules } = await client.api['rules.reorder']({ ids });
        set({ rules: [...rules].sort((a, b) => a.position - b.position) });
        return true;
      }, false);
    },
    deleteRule: (id) =>
      get().attempt(async () => {
        const name = get().rules.find((r) => r.id === id)?.name ?? 'The rule';
        await client.api['rules.delete']({ id });
        set({ rules: get().rules.filter((r) => r.id !== id) });
        get().notify('info', `${name} deleted.`);
        return true;
      }, false),

    alarms: [],
    raiseHostAlarm: (ids) =>
      get().attempt(async () => {
        const page = await client.api['hosts.list']({ ids, limit: Math.min(ids.length, 500) } as never);
        for (const host of page.hosts) {
          if (!host.alarm) continue;
          addAlarm({
            key: `host:${host.id}:${host.alarm}`,
            hostId: host.id,
            text: `${host.hostname}: ${ALARM_TEXT[host.alarm]}`,
          });
        }
      }, undefined),
    raiseTokenAlarm: (id) =>
      get().attempt(async () => {
        const token: RegistrationToken = await client.api['tokens.get']({ id });
        const user = token.used_by_nodes[0];
        addAlarm({
          key: `token:${id}`,
          hostId: user?.host_id ?? null,
          text:
            `Token ${token.prefix}… was presented again` +
            (token.failed_attempts.last_source ? ` from ${token.failed_attempts.last_source}` : '') +
            ' after its last use: it may have leaked.' +
            (user ? ` It enrolled ${user.hostname}.` : ''),
        });
      }, undefined),
    dismissAlarm: (key) => set({ alarms: get().alarms.filter((a) => a.key !== key) }),
  };
};
