import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

// An incoming X-Request-Id is kept only if it is short and plain, so it can be logged and
// echoed without risk of header or log injection.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'express-serve-static-core' {
  interface Request {
    /** Correlates logs, audit events and the error a client sees. */
    id: string;
  }
}

export function requestId(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.get('x-request-id');
  req.id = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', req.id);
  next();
}
