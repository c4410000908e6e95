import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AirlockError, isAirlockError } from '../errors.js';
import type { Logger } from '../logger.js';

// One envelope for every service, compatible with OpenAI's ({message, type, code}) so the
// gateway's clients (the openai SDK) parse it, and with our own ({code, message}).
const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
};

export interface ErrorBody {
  error: { code: string; message: string; type: string; request_id: string; details?: unknown };
}

export function errorBody(err: AirlockError, requestId: string): ErrorBody {
  const exposed = err.expose;
  return {
    error: {
      code: exposed ? err.code : 'internal_error',
      message: exposed ? err.message : `internal error; quote request id ${requestId} to your administrator`,
      type: OPENAI_TYPES[err.status] ?? 'api_error',
      request_id: requestId,
      ...(exposed && err.details !== undefined ? { details: err.details } : {}),
    },
  };
}

/** Maps body-parser and other framework errors to stable codes. */
function normalise(err: unknown): AirlockError {
  if (isAirlockError(err)) return err;
  const e = err as { type?: string; status?: number };
  switch (e?.type) {
    case 'entity.too.large':
      return new AirlockError('payload_too_large', 'request body is too large', { cause: err });
    case 'entity.parse.failed':
      return new AirlockError('invalid_json', 'request body is not valid JSON', { cause: err });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AirlockError('unsupported_media_type', 'unsupported body encoding', { cause: err });
  }
  // body-parser marks a body it could not read (a corrupt gzip/deflate/br stream: zlib's
  // Z_DATA_ERROR, brotli's ERR__ERROR_FORMAT_*) as 400 with no type: the client's fault.
  if (e?.status === 400) {
    return new AirlockError('bad_request', 'request body could not be decoded (corrupt content encoding)', {
      cause: err,
    });
  }
  return new AirlockError('internal_error', 'unhandled error', { cause: err });
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err); // mid-stream: let express close the connection
    const error = normalise(err);
    if (!error.expose) {
      logger.error({ err: error.cause ?? error, requestId: req.id, code: error.code }, 'request failed');
    }
    for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
    res.status(error.status).json(errorBody(error, req.id));
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AirlockError('not_found', `no route for ${req.method} ${req.path}`));
};
