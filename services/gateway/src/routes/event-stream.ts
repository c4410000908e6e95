// Starts an SSE answer (chat completions, Messages, Responses). The status and headers go
// out with the first event when it is written in the same turn of the event loop (most
// upstreams send their first event with their headers), and on their own at the next turn
// otherwise: the client learns at once that the stream started, with one socket write fewer
// per stream in the common case.
import type { Response } from 'express';

function flushIfStillHeld(res: Response): void {
  if (!res.headersSent && !res.destroyed) res.flushHeaders();
}

export function startEventStream(res: Response): void {
  res.status(200);
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache, no-store');
  res.setHeader('x-accel-buffering', 'no');
  setImmediate(flushIfStillHeld, res);
}

/**
 * Resolves when the response can take more (backpressure), rejects when the client is gone
 * (a closed response never drains).
 */
export function drained(res: Response): Promise<void> {
  if (res.destroyed) return Promise.reject(new Error('client closed the request'));
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      reject(new Error('client closed the request'));
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
