import { Router } from 'express';
import { ApiError } from '../../../../shared/api/errors';
import { operations, type OperationName } from '../../../../shared/api/operations';
import type { AdminHandlers } from '../../api/admin-handlers';
import { dispatch } from '../../api/dispatch';
import { identityOf } from './admin-auth';

/**
 * The headless admin routes, derived from the operation table: one route per
 * operation, its input gathered from path, query and body (path wins), dispatched
 * through the same validation the IPC handlers use.
 */
export function operationRouter(handlers: AdminHandlers): Router {
  const router = Router();
  for (const name of Object.keys(operations) as OperationName[]) {
    const spec = operations[name];
    const method = spec.method.toLowerCase() as 'get' | 'post' | 'delete';
    router[method](spec.path, async (req, res, next) => {
      try {
        const body: unknown = req.body ?? {};
        if (typeof body !== 'object' || Array.isArray(body)) {
          throw new ApiError('VALIDATION_FAILED', 'The request body must be a JSON object.');
        }
        const input = { ...req.query, ...body, ...req.params };
        const result = await dispatch(handlers, name, input, identityOf(res));
        if (spec.status === 204) {
          res.status(204).end();
        } else if (spec.raw) {
          const { content_type, data } = result as { content_type: string; data: string };
          res
            .status(200)
            .type(content_type)
            .send(content_type === 'image/png' ? Buffer.from(data, 'base64') : data);
        } else {
          res.status(spec.status).json(result);
        }
      } catch (error) {
        next(error);
      }
    });
  }
  return router;
}
