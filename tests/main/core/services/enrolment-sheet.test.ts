import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegisterHostInput } from '../../../../src/shared/api/schemas';
import { makeGatehouse, registration, type TestGatehouse } from '../../../helpers/gatehouse';

const ADMIN = { actor: 'admin', scope: 'admin' as const };
let g: TestGatehouse;
beforeEach(async () => {
  g = await makeGatehouse();
});
afterEach(() => g.dispose());

describe('enrolment sheet', () => {
  it('mints one single-use token per unclaimed row, shows the same ones when printed again, and drops claimed rows', async () => {
    const { import_id } = await g.handlers['expected.import'](
      { csv: 'hostname,serial,position\nn-1,S1,U1\nn-2,S2,U2\nn-3,S3,U3\n', auto_approve: true },
      ADMIN,
    );
    const first = await g.handlers['expected.sheet']({ import_id }, ADMIN);
    expect(first.content_type).toMatch(/^text\/html/);
    const tokens = [...first.data.matchAll(/<code>([^<]+)<\/code>/g)].map((m) => m[1]!);
    expect(tokens).toHaveLength(3);
    expect((await g.handlers['expected.sheet']({ import_id }, ADMIN)).data).toBe(first.data);
    const listed = await g.tokens.list(false);
    expect(listed.tokens.filter((t) => t.max_uses === 1)).toHaveLength(3);

    // The token of row 2 makes its host row 2, approved by the row, whatever it reports.
    const r = await g.enrolment.register(registration(tokens[1]!) as RegisterHostInput, '10.0.0.2');
    expect(r.status).toBe('APPROVED');
    expect(await g.hosts.get(r.host_id)).toMatchObject({ hostname: 'n-2', expected: { position: 'U2' } });
    const after = (await g.handlers['expected.sheet']({ import_id }, ADMIN)).data;
    expect(after).not.toContain('n-2');
    expect(after).toContain(tokens[0]!);
  });

  it('answers NOT_FOUND for an import that does not exist', async () => {
    await expect(g.handlers['expected.sheet']({ import_id: randomUUID() }, ADMIN)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
