import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileErrors, validate as validateOpenApi } from '@readme/openapi-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError, ERROR_STATUS } from '../../../../src/shared/api/errors';
import {
  OPERATION_NAMES,
  operations,
  type OperationInput,
  type OperationName,
  type OperationSpec,
} from '../../../../src/shared/api/operations';
import type { CreatedToken, Host } from '../../../../src/shared/domain';
import { dispatch } from '../../../../src/main/core/api/dispatch';
import {
  buildOpenApiDocument,
  openApiPath,
  operationsWithoutOutputSchema,
  serializeOpenApiDocument,
} from '../../../../src/main/core/api/openapi';
import { OPENAPI_FILE, renderOpenApiFile } from '../../../../scripts/openapi';
import { APP_ROOT, registration, startTestServer, type TestServer } from '../../../helpers/gatehouse';

type Json = Record<string, unknown>;
const VERSION = (JSON.parse(readFileSync(join(APP_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const document = buildOpenApiDocument(VERSION);
const DOC_ID = 'urn:gatehouse:openapi';

function operationOf(name: OperationName): { path: string; method: string; op: Json } {
  const spec: OperationSpec<z.ZodType, unknown> = operations[name];
  const path = openApiPath(spec.path).path;
  const method = spec.method.toLowerCase();
  const op = ((document.paths as Record<string, Record<string, Json>>)[path] ?? {})[method];
  return { path, method, op: op as Json };
}

/** Ajv 2020 holding the whole document, so `#/components/...` references resolve. */
function makeAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
  addFormats.default(ajv);
  ajv.addSchema({ ...document, $id: DOC_ID });
  return ajv;
}

function compileIn(ajv: Ajv2020, schema: unknown): ValidateFunction {
  const text = JSON.stringify(schema).replaceAll('"#/components/', `"${DOC_ID}#/components/`);
  return ajv.compile(JSON.parse(text) as Json);
}

function responseSchema(name: OperationName, status: number): unknown {
  const response = (operationOf(name).op.responses as Record<string, Json>)[String(status)];
  if (!response) throw new Error(`${name} documents no ${status} response`);
  if (typeof response.$ref === 'string') {
    const key = response.$ref.split('/').pop() as string;
    const component = ((document.components as Json).responses as Record<string, Json>)[key] as Json;
    return ((component.content as Json)['application/json'] as Json).schema;
  }
  return ((response.content as Json)['application/json'] as Json).schema;
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document by a maintained parser', async () => {
    // A copy: the parser dereferences in place.
    const result = await validateOpenApi(structuredClone(document) as unknown as Parameters<typeof validateOpenApi>[0]);
    const text = serializeOpenApiDocument(document);
    console.log(
      `openapi.json: ${text.length} bytes, ${OPERATION_NAMES.length} operations, ` +
        `${Object.keys(document.paths as Json).length} paths, ` +
        `${Object.keys((document.components as Json).schemas as Json).length} component schemas`,
    );
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  it('is what docs/openapi.json holds', async () => {
    const committed = readFileSync(OPENAPI_FILE, 'utf8');
    expect(
      committed === (await renderOpenApiFile()),
      'docs/openapi.json is out of date with the operation table: run `npm run openapi` and commit it.',
    ).toBe(true);
  });

  it('documents every operation of the table under its method and path, once', () => {
    const documented: string[] = [];
    for (const [, methods] of Object.entries(document.paths as Record<string, Record<string, Json>>)) {
      for (const op of Object.values(methods)) documented.push(op.operationId as string);
    }
    expect(documented.sort()).toEqual([...OPERATION_NAMES].sort());
    for (const name of OPERATION_NAMES) {
      const { op } = operationOf(name);
      expect(op?.operationId, `${name} at ${operations[name].method} ${operations[name].path}`).toBe(name);
      expect(Object.keys(op.responses as Json)).toContain(String(operations[name].status));
    }
  });

  it('takes each input field from the path, the query (GET, DELETE) or the body (POST)', () => {
    for (const name of OPERATION_NAMES) {
      const spec: OperationSpec<z.ZodType, unknown> = operations[name];
      const { op } = operationOf(name);
      const inputKeys = Object.keys(
        (z.toJSONSchema(spec.input, { io: 'input', unrepresentable: 'any' }) as Json).properties ?? {},
      );
      const parameters = (op.parameters ?? []) as { name: string; in: string; required: boolean }[];
      const pathParams = openApiPath(spec.path).params;
      expect(parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(pathParams);
      const body = (
        ((op.requestBody as Json | undefined)?.content as Json | undefined)?.['application/json'] as Json | undefined
      )?.schema as Json | undefined;
      const queryNames = parameters.filter((p) => p.in === 'query').map((p) => p.name);
      const bodyNames = Object.keys((body?.properties as Json | undefined) ?? {});
      if (spec.method === 'POST') expect(queryNames, name).toEqual([]);
      else expect(bodyNames, name).toEqual([]);
      expect([...pathParams, ...queryNames, ...bodyNames].sort(), name).toEqual([...inputKeys].sort());
    }
  });

  it('describes query parameters by their input type, past the preprocessing of query text', () => {
    const params = operationOf('audit.list').op.parameters as { name: string; schema: Json }[];
    expect(params.find((p) => p.name === 'limit')?.schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 1000,
    });
    const tokensList = operationOf('tokens.list').op.parameters as { name: string; schema: Json }[];
    expect(tokensList.find((p) => p.name === 'include_expired')?.schema).toEqual({ type: 'boolean' });
  });

  it('has a response schema for every JSON operation', () => {
    expect(
      operationsWithoutOutputSchema(),
      'add these operations to OUTPUT_SCHEMAS (or RAW_RESPONSES) in src/main/core/api/openapi.ts',
    ).toEqual([]);
  });

  it('answers with the bearer scheme and the contract error body', () => {
    expect(document.security).toEqual([{ bearer: [] }]);
    expect((document.components as Json).securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer' } });
    const ajv = makeAjv();
    const validate404 = compileIn(ajv, responseSchema('hosts.get', 404));
    expect(validate404(new ApiError('NOT_FOUND', 'No host has that id.').toBody())).toBe(true);
    expect(validate404(new ApiError('CONFLICT', 'No.').toBody())).toBe(false);
    expect(validate404({ error: { message: 'no code' } })).toBe(false);
  });
});

describe('real answers conform to the documented schemas', () => {
  let server: TestServer;
  const ajv = makeAjv();

  beforeAll(async () => {
    server = await startTestServer({ tls: true });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  const call = <N extends OperationName>(name: N, input: OperationInput<N> | Record<string, unknown>) =>
    dispatch(server.gatehouse.handlers, name, input, { actor: 'test', scope: 'admin' });

  /** Each operation once, in an order that leaves something for the next to act on. */
  it('validates the answer of every operation against its response schema', async () => {
    const created = (await call('tokens.create', {
      description: 'rack b12',
      expires_in_hours: 24,
      max_uses: 5,
      labels: ['gpu', 'rack=b12'],
    })) as CreatedToken;
    const register = async (n: number) =>
      (await server.gatehouse.enrolment.register(
        registration(created.token, {
          ips: [`10.0.0.${n}`],
          labels: ['db'],
          facts: { serial: `SN-${n}`, macs: [`AA-BB-CC-DD-EE-0${n}`], disks: [{ name: 'sda', size_gb: 480 }] },
        }) as never,
        `10.0.0.${n}`,
      )) as { host_id: string };
    const [a, b, c] = [await register(1), await register(2), await register(3)];
    const steps: [OperationName, Record<string, unknown>][] = [
      ['tokens.list', { include_expired: 'true' }],
      ['tokens.get', { id: created.id }],
      ['tokens.reveal', { id: created.id }],
      ['tokens.qr', { id: created.id, format: 'png' }],
      ['hosts.list', {}],
      ['hosts.counts', {}],
      ['hosts.get', { id: a.host_id }],
      ['hosts.approve', { id: a.host_id }],
      ['hosts.reject', { id: b.host_id, reason: 'not ours' }],
      ['hosts.disable', { id: a.host_id }],
      ['hosts.enable', { id: a.host_id }],
      ['hosts.bulk', { action: 'approve', ids: [c.host_id, randomUUID()] }],
      ['audit.list', { limit: '50' }],
      ['settings.get', {}],
      ['settings.update', { offline_threshold_seconds: 120 }],
      ['system.info', {}],
      ['certificate.regenerate', {}],
      ['credentials.create', { name: 'ci robot', scope: 'enrol' }],
      ['credentials.list', {}],
      ['inventory.export', { format: 'csv' }],
      ['tokens.revoke', { id: created.id }],
      ['hosts.delete', { id: b.host_id }],
      ['tokens.delete', { id: created.id }],
    ];
    const robot = (await call('credentials.create', { name: 'nightly job', scope: 'read-only' })) as { id: string };
    steps.push(['credentials.revoke', { id: robot.id }]);
    const rack = (await call('expected.import', {
      csv: 'hostname,serial,mac,position\nrack-a1,SN-A1,aa:bb:cc:00:00:01,A1\n',
    })) as { import_id: string };
    const rule = (await call('rules.create', { name: 'dell', match: { vendor: 'Dell Inc.' }, max_count: 5 })) as {
      id: string;
    };
    steps.push(
      ['expected.import', { csv: 'hostname,serial\nrack-a2,SN-A2\nbad host,SN-A3\n', auto_approve: true }],
      ['expected.list', {}],
      ['expected.sheet', { import_id: rack.import_id }],
      ['rules.list', {}],
      ['rules.reorder', { ids: [rule.id] }],
      ['rules.create', { name: 'lab net', match: { cidr: '10.0.0.0/8', label: 'db' }, max_count: 0 }],
      ['rules.update', { id: rule.id, enabled: false }],
      ['rules.delete', { id: rule.id }],
    );
    const hook = (await call('webhooks.create', { url: 'http://127.0.0.1:9/hook', events: ['*'] })) as { id: string };
    steps.push(
      ['webhooks.create', { url: 'https://chat.example/hook', events: ['host.pending'], preset: 'slack' }],
      ['webhooks.list', {}],
      ['webhooks.test', { id: hook.id }],
      ['webhooks.deliveries', { id: hook.id }],
      ['mail.settings.get', {}],
      ['mail.settings.update', { host: '127.0.0.1', port: 9, security: 'none', from: 'gatehouse@example.test' }],
      ['webhooks.delete', { id: hook.id }],
    );
    const sendable = (await call('tokens.create', { expires_in_hours: 1, max_uses: 1 })) as CreatedToken;
    const chat = (await call('webhooks.create', {
      url: 'http://127.0.0.1:9/chat',
      events: ['*'],
      preset: 'slack',
    })) as {
      id: string;
    };
    steps.push(['tokens.send', { id: sendable.id, to: chat.id }]);
    // A new operation in the table must get a step here, or this fails.
    expect([...new Set(steps.map(([name]) => name)), 'tokens.create'].sort()).toEqual([...OPERATION_NAMES].sort());

    const answers: [OperationName, unknown][] = [['tokens.create', created]];
    for (const [name, input] of steps) answers.push([name, await call(name, input)]);

    for (const [name, answer] of answers) {
      const spec: OperationSpec<z.ZodType, unknown> = operations[name];
      const { op } = operationOf(name);
      const success = (op.responses as Record<string, Json>)[String(spec.status)] as Json;
      if (spec.status === 204) {
        expect(answer, name).toBeUndefined();
        expect(success.content, name).toBeUndefined();
      } else if (spec.raw) {
        const { content_type } = answer as { content_type: string };
        expect(Object.keys(success.content as Json), name).toContain(content_type);
      } else {
        const validate = compileIn(ajv, responseSchema(name, spec.status));
        const ok = validate(answer);
        expect(ok, `${name}: ${JSON.stringify(validate.errors?.slice(0, 5))}\n${JSON.stringify(answer)}`).toBe(true);
      }
    }
    const hosts = answers.find(([name]) => name === 'hosts.list')?.[1] as { hosts: Host[] };
    expect(hosts.hosts).toHaveLength(3);
    console.log(`conformance: ${answers.length} operations answered and validated`);
  });

  it('refuses an unknown field in every operation with a documented 400 body', async () => {
    for (const name of OPERATION_NAMES) {
      const input = { id: randomUUID(), unknown_field: 1 };
      const error = await call(name, input).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(ApiError);
      const apiError = error as ApiError;
      expect(apiError.code, name).toBe('VALIDATION_FAILED');
      const validate = compileIn(ajv, responseSchema(name, ERROR_STATUS[apiError.code]));
      expect(validate(apiError.toBody()), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('answers an unknown id with a documented 404 body', async () => {
    for (const name of OPERATION_NAMES.filter((n) => openApiPath(operations[n].path).params.includes('id'))) {
      const input =
        name === 'hosts.reject'
          ? { id: randomUUID(), reason: 'x' }
          : name === 'tokens.send'
            ? { id: randomUUID(), to: 'tech@example.test' }
            : { id: randomUUID() };
      const error = await call(name, input).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(ApiError);
      const apiError = error as ApiError;
      expect(apiError.code, name).toBe('NOT_FOUND');
      const validate = compileIn(ajv, responseSchema(name, 404));
      expect(validate(apiError.toBody()), name).toBe(true);
    }
  });
});
