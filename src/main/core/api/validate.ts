import type { z } from 'zod';
import { ApiError } from '../../../shared/api/errors';

/** Parses with a schema; failure is a VALIDATION_FAILED naming each bad field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.join('.') || '(body)',
    message: issue.message,
  }));
  const summary = issues
    .slice(0, 3)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
  throw new ApiError('VALIDATION_FAILED', `The request is not valid: ${summary}.`, issues);
}
