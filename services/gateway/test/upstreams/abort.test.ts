import { describe, expect, it } from '@jest/globals';
import { AbortEmitter, sleepUnlessAborted } from '../../src/upstreams/abort.js';
import { EventEmitter } from 'node:events';

/** A response stand-in: the two members AbortEmitter.of reads. */
class FakeResponse extends EventEmitter {
  writableFinished = false;
}

describe('the caller abort signal', () => {
  it('aborts once, with the reason, when the response closes unfinished', () => {
    const res = new FakeResponse();
    const abort = AbortEmitter.of(res);
    const heard: unknown[] = [];
    abort.addEventListener('abort', () => heard.push(abort.reason));
    expect(abort.aborted).toBe(false);
    res.emit('close');
    expect(abort.aborted).toBe(true);
    expect((abort.reason as DOMException).name).toBe('AbortError');
    abort.abort(new Error('again'));
    expect(heard).toHaveLength(1);
    expect((abort.reason as DOMException).name).toBe('AbortError');
  });

  it('does not abort when the response finished before closing', () => {
    const res = new FakeResponse();
    const abort = AbortEmitter.of(res);
    res.writableFinished = true;
    res.emit('close');
    expect(abort.aborted).toBe(false);
  });

  it('forgets a removed listener', () => {
    const abort = new AbortEmitter();
    let calls = 0;
    const listener = () => calls++;
    abort.addEventListener('abort', listener);
    abort.removeEventListener('abort', listener);
    abort.abort(new Error('x'));
    expect(calls).toBe(0);
    expect(abort.listenerCount('abort')).toBe(0);
  });
});

describe('the retry backoff wait', () => {
  it('resolves after the wait when nobody aborts, leaving no listener behind', async () => {
    const abort = new AbortEmitter();
    await expect(sleepUnlessAborted(5, abort)).resolves.toBeUndefined();
    expect(abort.listenerCount('abort')).toBe(0);
  });

  it('rejects with the reason as soon as the caller aborts', async () => {
    const abort = new AbortEmitter();
    const reason = new Error('gone');
    const wait = sleepUnlessAborted(60_000, abort);
    abort.abort(reason);
    await expect(wait).rejects.toBe(reason);
  });

  it('rejects at once when already aborted, and takes a real AbortSignal too', async () => {
    const controller = new AbortController();
    controller.abort(new Error('before'));
    await expect(sleepUnlessAborted(60_000, controller.signal)).rejects.toThrow('before');
    const abort = new AbortEmitter();
    abort.abort(new Error('before too'));
    await expect(sleepUnlessAborted(60_000, abort)).rejects.toThrow('before too');
  });
});
