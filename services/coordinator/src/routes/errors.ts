/**
 * One error middleware for the coordinator: domain codes map to statuses here
 * (STYLE.md), everything else goes through the shared handler, and nothing
 * unexpected leaks more than `INTERNAL`.
 */
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { closeUnreadBody, errorHandler } from '@custodes/shared/service';
import { CoordinatorError, statusOf } from '../errors';

/** `onUnexpected` also sees every error that is neither a refusal nor the caller's (e.g. to record a storage failure for /health). */
export function coordinatorErrors(logger: Logger, onUnexpected?: (err: unknown) => void): ErrorRequestHandler {
  const shared = errorHandler((err, req, storage) => {
    onUnexpected?.(err);
    logger.error({ method: req.method, path: req.route?.path, code: storage?.code, err: String(err) }, storage ? 'storage failure: the call was not completed' : 'unexpected error');
  });
  return (err, req, res, next) => {
    if (err instanceof CoordinatorError) {
      if (res.headersSent) return;
      closeUnreadBody(req, res); // e.g. 401 before a body was read
      res.status(statusOf(err.code)).json({ error: { code: err.code, message: err.message, ...err.details } });
      return;
    }
    shared(err, req, res, next);
  };
}
