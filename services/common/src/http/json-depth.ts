// Parsed JSON bodies deeper than MAX_JSON_DEPTH are refused with bad_request before any
// route sees them: every service walks bodies recursively somewhere (token counting,
// redaction, validation), and a body of 100k nested arrays would overflow the stack there
// and answer 500. The check itself is iterative, so it cannot overflow.
import type { RequestHandler } from 'express';
import { AirlockError } from '../errors.js';

export const MAX_JSON_DEPTH = 64;

/** True when `value` nests objects/arrays more than `max` levels deep. */
export function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

export const jsonDepthLimit: RequestHandler = (req, _res, next) => {
  if (req.body && typeof req.body === 'object' && deeperThan(req.body, MAX_JSON_DEPTH)) {
    next(new AirlockError('bad_request', `request body is nested more than ${MAX_JSON_DEPTH} levels deep`));
    return;
  }
  next();
};
