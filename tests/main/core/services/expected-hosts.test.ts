import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegisterHostInput } from '../../../../src/shared/api/schemas';
import { parseExpectedCsv } from '../../../../src/main/core/services/expected-csv';
import { makeGatehouse, registration, type TestGatehouse } from '../../../helpers/gatehouse';

const none = { serials: new Set<string>(), systemUuids: new Set<string>(), macs: new Set<string>() };

describe('expected-hosts CSV', () => {
  it('keeps good rows and refuses each bad row with its line number and a reason naming the field', () => {
    const csv = [
      '\uFEFFmac,hostname,serial,position,labels,system_uuid', // BOM, any column order
      'AA-BB-CC-DD-EE-01,node-01,SN-1,"R1, U1","rack=r1;role=db",4C4C4544-0001-0002-0003-000000000001',
      'zz:bb:cc:dd:ee:02,node-02,SN-2,R1-U2,,', // bad MAC
      'aa:bb:cc:dd:ee:03,node-03,SN-1,R1-U3,,', // serial repeats line 2
      'aa:bb:cc:dd:ee:04,node 04,SN-4,R1-U4,,', // bad hostname
      'aa:bb:cc:dd:ee:05,node-05,SN-5,"Row ""A""',
      'second line",,not-a-uuid', // a quoted field holding a newline and quotes; bad UUID
      'aa:bb:cc:dd:ee:06,node-06,SN-6,R1-U6,"bad label!",',
      '',
      'aa:bb:cc:dd:ee:07,node-07,SN-7,"Row ""B""\nrack 2",,',
      'aa:bb:cc:dd:ee:08,node-08,SN-8,R1-U8,,,extra',
    ].join('\n');
    const { rows, errors } = parseExpectedCsv(csv, none);
    expect(rows.map((r) => r.hostname)).toEqual(['node-01', 'node-07']);
    expect(rows[0]).toEqual({
      line: 2,
      hostname: 'node-01',
      serial: 'SN-1',
      system_uuid: '4c4c4544-0001-0002-0003-000000000001',
      mac: 'aa:bb:cc:dd:ee:01',
      labels: ['rack=r1', 'role=db'],
      position: 'R1, U1',
    });
    expect(rows[1]).toMatchObject({ line: 10, position: 'Row "B"\nrack 2' });
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 8, 12]);
    expect(errors[0]!.reason).toMatch(/mac 'zz:bb:cc:dd:ee:02' is not a MAC address/);
    expect(errors[1]!.reason).toMatch(/serial 'SN-1' is already on line 2/);
    expect(errors[2]!.reason).toMatch(/hostname 'node 04' is not a valid host name/);
    expect(errors[3]!.reason).toMatch(/system_uuid 'not-a-uuid' is not a UUID/);
    expect(errors[4]!.reason).toMatch(/labels: 'label!' is not a label/);
    expect(errors[5]!.reason).toMatch(/has 7 fields; the header has 6/);
  });

  it('refuses identifiers an unclaimed row already holds', () => {
    const { rows, errors } = parseExpectedCsv('hostname,serial,mac\na,SN-1,\nb,SN-2,aa:bb:cc:dd:ee:ff\n', {
      ...none,
      macs: new Set(['aa:bb:cc:dd:ee:ff']),
      serials: new Set(['SN-1']),
    });
    expect(rows).toEqual([]);
    expect(errors).toEqual([
      { line: 2, reason: "serial 'SN-1' is already expected (an unclaimed row imported before)" },
      { line: 3, reason: "mac 'aa:bb:cc:dd:ee:ff' is already expected (an unclaimed row imported before)" },
    ]);
  });

  it('refuses the whole file for an unknown column, naming it and the allowed ones', () => {
    const { rows, errors } = parseExpectedCsv('hostname,serial,rack\nnode-1,SN-1,r1\n', none);
    expect(rows).toEqual([]);
    expect(errors).toEqual([
      { line: 1, reason: "unknown column 'rack' (columns are hostname, serial, system_uuid, mac, labels, position)" },
    ]);
  });

  it('refuses a row with no identifier and a quote left open', () => {
    expect(parseExpectedCsv('hostname,serial\nnode-1,\n', none).errors[0]).toMatchObject({
      line: 2,
      reason: expect.stringMatching(/give a serial, system_uuid or mac/),
    });
    expect(parseExpectedCsv('hostname,serial\nnode-1,"SN\n', none).errors[0]).toMatchObject({
      line: 2,
      reason: expect.stringMatching(/not closed/),
    });
  });
});

describe('expected hosts in the store', () => {
  let g: TestGatehouse;
  beforeEach(async () => {
    g = await makeGatehouse();
  });
  afterEach(() => g.dispose());

  const reg = (token: string, over: Partial<RegisterHostInput>) => registration(token, over) as RegisterHostInput;

  it('keeps the good rows of an import, refuses a second import of the same identifiers, and matches by MAC', async () => {
    const first = await g.handlers['expected.import'](
      { csv: 'hostname,mac\nweb-1,aa:bb:cc:00:00:01\nbad_name,x\n' },
      {
        actor: 'admin',
        scope: 'admin',
      },
    );
    expect(first).toMatchObject({ imported: 1, errors: [{ line: 3 }] });
    const second = await g.handlers['expected.import'](
      { csv: 'hostname,mac\nweb-9,AA:BB:CC:00:00:01\n' },
      {
        actor: 'admin',
        scope: 'admin',
      },
    );
    expect(second).toMatchObject({ imported: 0, errors: [{ line: 2 }] });

    const t = await g.tokens.create({ expires_in_hours: 1, max_uses: 0 }, 'admin');
    const r = await g.enrolment.register(
      reg(t.token, { hostname: 'whatever', facts: { macs: ['aa:bb:cc:00:00:01'] } }),
      '10.0.0.5',
    );
    expect(r.status).toBe('PENDING'); // imported without auto_approve
    const host = await g.hosts.get(r.host_id);
    expect(host).toMatchObject({ hostname: 'web-1', expected: { hostname: 'web-1', position: null }, alarm: null });
    // The queue can count and list just the expected requests.
    const stranger = await g.enrolment.register(reg(t.token, { hostname: 'stranger' }), '10.0.0.6');
    const expectedOnly = await g.hosts.list({ status: 'PENDING', expected_only: true });
    expect(expectedOnly.hosts.map((h) => h.id)).toEqual([r.host_id]);
    expect(expectedOnly.total_count).toBe(1);
    expect((await g.hosts.list({ status: 'PENDING' })).hosts.map((h) => h.id)).toContain(stranger.host_id);
    // "Approve all expected" approves it and claims the row.
    const bulk = await g.hosts.bulk({ action: 'approve', filter: { status: 'PENDING', expected_only: true } }, 'admin');
    expect(bulk.results).toEqual([{ id: r.host_id, ok: true, status: 'APPROVED' }]);
    const rows = await g.handlers['expected.list']({}, { actor: 'admin', scope: 'admin' });
    expect(rows.expected_hosts[0]!.claimed_by).toBe(r.host_id);
  });
});
