// One upstream request through undici's dispatch() with a handler of our own, instead of its
// request() API, which builds an AsyncResource and a Readable stream for every call. The
// gateway reads an upstream answer one of three ways (whole, chunk by chunk, or not at
// all), so the body is a small queue with those three readers. Backpressure is kept: once
// 64 KiB wait unread (a slow client), the upstream socket is paused until the reader
// catches up.
import type { EventEmitter } from 'node:events';
import type { Dispatcher } from 'undici';

/** What request()'s stream buffers before it stops reading (its default highWaterMark). */
const HIGH_WATER = 64 * 1024;
/** As undici's dump(): past this, the connection is dropped rather than drained for reuse. */
const DUMP_LIMIT = 128 * 1024;

type Controller = Dispatcher.DispatchController;

/** The two answer headers the gateway reads. */
export interface UpstreamHeaders {
  'content-type'?: string;
  'retry-after'?: string;
}

export interface UpstreamHead {
  statusCode: number;
  headers: UpstreamHeaders;
  body: UpstreamBody;
}

/** An upstream answer's body, read once: whole, as chunks, or dumped. */
export class UpstreamBody implements AsyncIterableIterator<Buffer> {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private error: Error | undefined;
  /** The reader waiting for the next chunk or the end. */
  private wake: (() => void) | undefined;
  private discarding = false;
  private discarded = 0;
  /** Read whole (buffer()): nothing paces the reader, so the socket is never paused. */
  private whole = false;

  constructor(private readonly controller: Controller) {}

  /** From the handler: a chunk arrived. */
  push(chunk: Buffer): void {
    if (this.discarding) {
      this.discarded += chunk.length;
      if (this.discarded > DUMP_LIMIT) this.controller.abort(new Error('upstream answer dumped'));
      return;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (!this.whole && this.queued >= HIGH_WATER) this.controller.pause();
    this.notify();
  }

  /** From the handler: the answer is complete. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /** From the handler: the request failed after the headers (reset, body timeout, abort). */
  fail(error: Error): void {
    if (this.ended) return;
    this.error = error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private take(): Buffer {
    const chunk = this.queue.shift()!;
    this.queued -= chunk.length;
    if (this.controller.paused && this.queued < HIGH_WATER) this.controller.resume();
    return chunk;
  }

  async next(): Promise<IteratorResult<Buffer, undefined>> {
    for (;;) {
      if (this.queue.length > 0) return { value: this.take(), done: false };
      if (this.error) throw this.error;
      if (this.ended) return { value: undefined, done: true };
      await this.changed();
    }
  }

  /** The reader stopped early (for-await left by break or throw): stop the upstream too. */
  async return(): Promise<IteratorResult<Buffer, undefined>> {
    if (!this.ended && !this.error) this.controller.abort(new Error('upstream answer abandoned'));
    this.queue.length = 0;
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The whole answer. Rejects as iteration would (reset, timeout, abort). */
  async buffer(): Promise<Buffer> {
    this.whole = true;
    if (this.controller.paused) this.controller.resume();
    while (!this.ended) {
      if (this.error) throw this.error;
      await this.changed();
    }
    if (this.error) throw this.error;
    const chunks = this.queue.splice(0);
    this.queued = 0;
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }

  /** Reads and discards the rest, so a small answer's connection can be reused. Never rejects. */
  async dump(): Promise<void> {
    this.discarding = true;
    for (const chunk of this.queue.splice(0)) this.discarded += chunk.length;
    this.queued = 0;
    if (this.discarded > DUMP_LIMIT) this.controller.abort(new Error('upstream answer dumped'));
    else if (this.controller.paused) this.controller.resume();
    while (!this.ended && !this.error) await this.changed();
  }
}

/**
 * The dispatch handler: resolves with the status, the two headers and the body once the
 * headers are in; rejects if the request fails before that. `signal` (an EventEmitter that
 * emits 'abort', with `aborted` and `reason`) aborts the request at any point.
 */
export function exchange(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: EventEmitter & { readonly aborted: boolean; readonly reason: unknown },
): Promise<UpstreamHead> {
  return new Promise((resolve, reject) => {
    let body: UpstreamBody | undefined;
    let controller: Controller | undefined;
    const onAbort = (): void => controller?.abort(signal.reason as Error);
    const settled = (): void => {
      signal.off('abort', onAbort);
    };
    signal.once('abort', onAbort);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (signal.aborted) c.abort(signal.reason as Error);
      },
      onResponseStart(c, statusCode, headers) {
        if (statusCode < 200) return; // 1xx: informational, the answer follows
        body = new UpstreamBody(c);
        resolve({ statusCode, headers: pick(headers), body });
      },
      onResponseData(_c, chunk) {
        body!.push(chunk);
      },
      onResponseEnd() {
        settled();
        body!.end();
      },
      onResponseError(_c, error) {
        settled();
        if (body) body.fail(error);
        else reject(error);
      },
    };
    dispatcher.dispatch(options, handler);
  });
}

function pick(headers: Record<string, string | string[] | undefined>): UpstreamHeaders {
  const type = headers['content-type'];
  const retry = headers['retry-after'];
  return {
    'content-type': typeof type === 'string' ? type : type?.[0],
    'retry-after': typeof retry === 'string' ? retry : retry?.[0],
  };
}
