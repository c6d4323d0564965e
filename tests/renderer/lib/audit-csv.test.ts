import { describe, expect, it } from 'vitest';
import { auditToCsv } from '../../../src/renderer/src/lib/audit-csv';

describe('audit CSV export', () => {
  it('writes a header and quotes fields with commas, quotes and formulas', () => {
    const csv = auditToCsv([
      {
        id: 2,
        at: '2026-01-01T00:00:00.000Z',
        actor: 'admin',
        action: 'host.rejected',
        target_type: 'host',
        target_id: 'h1',
        batch_id: null,
        detail: { reason: 'a, "b"' },
      },
      {
        id: 1,
        at: '2026-01-01T00:00:00.000Z',
        actor: '=cmd()',
        action: 'token.created',
        target_type: 'token',
        target_id: null,
        batch_id: null,
        detail: {},
      },
    ]);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,at,actor,action,target_type,target_id,detail');
    expect(lines[1]).toBe('2,2026-01-01T00:00:00.000Z,admin,host.rejected,host,h1,"{""reason"":""a, \\""b\\""""}"');
    expect(lines[2]!.split(',')[2]).toBe("'=cmd()");
  });
});
