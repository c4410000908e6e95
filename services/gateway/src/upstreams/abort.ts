// The caller hanging up, as the signal the upstream client and the relays listen on. Every
// model request builds one, so it is an EventEmitter rather than an AbortController: an
// AbortSignal's EventTarget costs several times more to build and to listen on. The client
// takes either (tests pass a real AbortSignal).
import { EventEmitter } from 'node:events';

/** The part of AbortSignal the upstream client uses. */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export class CallerAbort extends EventEmitter implements AbortLike {
  aborted = false;
  reason: unknown = undefined;

  /** Aborts when the response closes before it was finished (the client hung up). */
  static of(res: {
    once(event: 'close', fn: () => void): unknown;
    readonly writableFinished: boolean;
  }): CallerAbort {
    const abort = new CallerAbort();
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
