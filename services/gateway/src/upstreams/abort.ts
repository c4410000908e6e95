// Abort signals for the hot path: the caller hanging up (one per model request) and an
// upstream attempt's total timeout (one per attempt). EventEmitters rather than
// AbortControllers: an AbortSignal's EventTarget costs several times more to build and to
// listen on, and goes straight to V8's old space. The upstream client takes either (tests
// pass a real AbortSignal).
import { EventEmitter } from 'node:events';

/** The part of AbortSignal the upstream client uses. */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export class AbortEmitter extends EventEmitter implements AbortLike {
  aborted = false;
  reason: unknown = undefined;

  /** Aborts when the response closes before it was finished (the client hung up). */
  static of(res: {
    once(event: 'close', fn: () => void): unknown;
    readonly writableFinished: boolean;
  }): AbortEmitter {
    const abort = new AbortEmitter();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort(new DOMException('client closed the request', 'AbortError'));
    });
    return abort;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    this.once('abort', listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.off('abort', listener);
  }
}

/** Waits ms, or rejects with the signal's reason as soon as it aborts (the retry backoff). */
export function sleepUnlessAborted(ms: number, signal: AbortLike): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
