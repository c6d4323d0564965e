import { ApiError } from '../../../shared/api/errors';
import { operations, type OperationName, type OperationOutput } from '../../../shared/api/operations';
import { scopeAllows, type Access } from '../../../shared/api/scopes';
import type { AdminHandlers, CallContext } from './admin-handlers';
import { validate } from './validate';

/**
 * The single entry for every admin call, whatever the transport: validate the raw
 * input against the operation's schema, then run its handler. HTTP and IPC both
 * come through here, so a bad argument gets the same contract error on each, and a
 * credential whose scope does not grant the operation gets 403 FORBIDDEN.
 */
export async function dispatch<N extends OperationName>(
  handlers: AdminHandlers,
  name: N,
  rawInput: unknown,
  ctx: CallContext,
): Promise<OperationOutput<N>> {
  const spec = operations[name];
  if (!spec) throw new ApiError('NOT_FOUND', `Unknown operation ${String(name)}.`);
  const input = validate(spec.input, rawInput);
  const access = typeof spec.access === 'function' ? (spec.access as (i: unknown) => Access)(input) : spec.access;
  if (!scopeAllows(ctx.scope, access)) {
    throw new ApiError(
      'FORBIDDEN',
      `The credential "${ctx.actor}" (scope ${ctx.scope}) may not do this (${String(name)}).`,
    );
  }
  const handler = handlers[name] as (input: unknown, ctx: CallContext) => Promise<OperationOutput<N>>;
  return handler(input, ctx);
}
