import { ApiError } from '../../../shared/api/errors';

/**
 * Maps anything thrown to a contract error. Errors we do not know become INTERNAL
 * with a generic message; `onUnknown` gets the original so it can be logged.
 */
export function toApiError(error: unknown, onUnknown: (error: unknown) => void): ApiError {
  if (error instanceof ApiError) return error;
  // body-parser errors carry a `type`.
  const type = (error as { type?: string } | null)?.type;
  if (type === 'entity.too.large') return new ApiError('PAYLOAD_TOO_LARGE', 'The request body is too large.');
  if (type === 'entity.parse.failed') return new ApiError('VALIDATION_FAILED', 'The request body is not valid JSON.');
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
    return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as UTF-8 JSON.');
  }
  // Express marks request errors it found itself (a path parameter with broken
  // percent-encoding, say) with a 4xx status: the request is at fault, not Gatehouse.
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ApiError('VALIDATION_FAILED', 'The request could not be read: check its path and encoding.');
  }
  onUnknown(error);
  return new ApiError('INTERNAL', 'Something went wrong inside Gatehouse; the details are in its log.');
}
