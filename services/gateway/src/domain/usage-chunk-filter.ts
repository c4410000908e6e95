// When the gateway asked the upstream for streamed usage (stream_options.include_usage) on
// behalf of a client that did not, the upstream's extra final chunk — `choices: []` with
// `usage` — must not reach that client: it would break clients that expect a choice in
// every chunk. This filter splits the SSE stream into events and drops exactly that one;
// every other event passes through byte for byte, as soon as it is complete. It works on the
// bytes: an event ends at a blank line (\n or \r\n twice), and those bytes never occur inside
// a multi-byte UTF-8 character, so nothing is decoded but the one line that must be judged.

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);
const DATA = Buffer.from('data:');

/** Whether the text can hold an empty array at all (`[`, JSON whitespace, `]`). */
function hasEmptyArray(buf: Buffer, start: number, end: number): boolean {
  for (let at = buf.indexOf(0x5b /* [ */, start); at !== -1 && at < end; at = buf.indexOf(0x5b, at + 1)) {
    let i = at + 1;
    while (i < end && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === CR || buf[i] === LF)) i++;
    if (i < end && buf[i] === 0x5d /* ] */) return true;
  }
  return false;
}

/** The event's first `data:` line decides: JSON with an empty `choices` array and a usage. */
function isUsageOnly(buf: Buffer, start: number, end: number): boolean {
  let from = start;
  while (from < end) {
    let nl = buf.indexOf(LF, from);
    if (nl === -1 || nl > end) nl = end;
    const lineEnd = nl > from && buf[nl - 1] === CR ? nl - 1 : nl;
    if (lineEnd - from >= DATA.length && buf.compare(DATA, 0, DATA.length, from, from + DATA.length) === 0) {
      // No empty array anywhere: `choices` cannot be one, whatever the JSON says.
      if (!hasEmptyArray(buf, from + DATA.length, lineEnd)) return false;
      try {
        const data = JSON.parse(buf.toString('utf8', from + DATA.length, lineEnd)) as {
          choices?: unknown;
          usage?: unknown;
        };
        return Array.isArray(data.choices) && data.choices.length === 0 && !!data.usage;
      } catch {
        return false;
      }
    }
    from = nl + 1;
  }
  return false;
}

export class UsageChunkFilter {
  private pending: Buffer = EMPTY;

  /** Returns the complete events of this chunk that the client should get (maybe empty). */
  push(chunk: Buffer): Buffer {
    const carried = this.pending.length;
    const buf = carried === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const kept: Buffer[] = [];
    let dropped = false;
    let eventStart = 0;
    // The carried bytes hold no event end; only their last two can begin one.
    let nl = buf.indexOf(LF, Math.max(0, carried - 2));
    while (nl !== -1) {
      let next = nl + 1;
      if (buf[next] === CR) next++;
      if (next < buf.length && buf[next] === LF) {
        const end = next + 1;
        if (isUsageOnly(buf, eventStart, end)) dropped = true;
        else kept.push(buf.subarray(eventStart, end));
        eventStart = end;
        nl = buf.indexOf(LF, end);
      } else {
        nl = buf.indexOf(LF, nl + 1);
      }
    }
    this.pending = eventStart === buf.length ? EMPTY : buf.subarray(eventStart);
    // Nothing dropped: the kept events are one run of the input, passed on without a copy.
    if (!dropped) return eventStart === 0 ? EMPTY : buf.subarray(0, eventStart);
    return kept.length === 0 ? EMPTY : Buffer.concat(kept);
  }

  /** Whatever is left at the end of the stream (an unterminated event), unfiltered. */
  flush(): Buffer {
    const rest = this.pending;
    this.pending = EMPTY;
    return rest;
  }
}
