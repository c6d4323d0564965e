import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostFacts, RegisterHostInput } from '../../../../src/shared/api/schemas';
import type { ParsedInput } from '../../../../src/shared/api/operations';
import { validate } from '../../../../src/main/core/api/validate';
import { createApprovalRuleInput } from '../../../../src/shared/api/schemas';
import { makeGatehouse, registration, type TestGatehouse } from '../../../helpers/gatehouse';

const ADMIN = { actor: 'admin', scope: 'admin' as const };
let g: TestGatehouse;
let token: { id: string; token: string };
beforeEach(async () => {
  g = await makeGatehouse();
  token = await g.tokens.create({ expires_in_hours: 4, max_uses: 0, labels: ['lab'] }, 'admin');
});
afterEach(() => g.dispose());

const dell: HostFacts = { vendor: 'Dell Inc.', model: 'PowerEdge R650' };
const enrol = (facts: HostFacts, source = '10.1.2.3') =>
  g.enrolment.register(registration(token.token, { facts }) as RegisterHostInput, source);
const rule = (name: string, match: ParsedInput<'rules.create'>['match'], max_count = 0) =>
  g.handlers['rules.create']({ name, match, max_count }, ADMIN);

describe('approval rules', () => {
  it('approves only when every condition given holds (vendor, model, CIDR, label, token)', async () => {
    await rule('dell in lab', {
      vendor: 'dell inc.',
      model: 'PowerEdge R650',
      cidr: '10.1.0.0/16',
      label: 'lab',
      token_id: token.id,
    });
    expect((await enrol(dell, '10.9.9.9')).status).toBe('PENDING'); // wrong network
    expect((await enrol({ ...dell, model: 'R750' })).status).toBe('PENDING'); // wrong model
    const ok = await enrol(dell);
    expect(ok.status).toBe('APPROVED');
    expect((await g.hosts.get(ok.host_id)).decided_by).toBe('rule:dell in lab');
    const entry = (await g.audit.list({ action: 'host.auto_approved', limit: 5 })).entries[0]!;
    expect(entry.detail).toMatchObject({ approved_by: 'rule:dell in lab', rule_name: 'dell in lab' });
  });

  it('stops at max_count, skips disabled rules, and takes the first match in order', async () => {
    const capped = await rule('one dell', { vendor: 'Dell Inc.' }, 1);
    const wide = await rule('any lab', { label: 'lab' }, 0);
    const a = await enrol(dell);
    expect((await g.hosts.get(a.host_id)).decided_by).toBe('rule:one dell');
    const b = await enrol(dell);
    expect((await g.hosts.get(b.host_id)).decided_by).toBe('rule:any lab');
    await g.handlers['rules.update']({ id: wide.id, enabled: false }, ADMIN);
    expect((await enrol(dell)).status).toBe('PENDING');
    const listed = await g.handlers['rules.list']({}, ADMIN);
    expect(listed.rules.map((r) => [r.name, r.used_count, r.enabled])).toEqual([
      ['one dell', 1, true],
      ['any lab', 1, false],
    ]);
    const reordered = await g.handlers['rules.reorder']({ ids: [wide.id, capped.id] }, ADMIN);
    expect(reordered.rules.map((r) => r.name)).toEqual(['any lab', 'one dell']);
    await expect(g.handlers['rules.reorder']({ ids: [wide.id] }, ADMIN)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await g.handlers['rules.delete']({ id: capped.id }, ADMIN);
    expect((await g.handlers['rules.list']({}, ADMIN)).rules.map((r) => [r.name, r.position])).toEqual([
      ['any lab', 1],
    ]);
  });

  it('never lets a rule approve a re-enrolment', async () => {
    await rule('all dells', { vendor: 'Dell Inc.' });
    const first = await enrol({ ...dell, serial: 'SN-42' });
    expect(first.status).toBe('APPROVED');
    const again = await enrol({ ...dell, serial: 'SN-42' });
    expect(again).toMatchObject({ status: 'PENDING', replaces: first.host_id });
  });

  it('refuses a rule without conditions', () => {
    expect(() => validate(createApprovalRuleInput, { name: 'everything', match: {}, max_count: 0 })).toThrow(
      /at least one condition/,
    );
  });
});
