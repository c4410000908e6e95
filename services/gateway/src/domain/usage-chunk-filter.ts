// When the gateway asked the upstream for streamed usage (stream_options.include_usage) on
// behalf of a client that did not, the upstream's extra final chunk — `choices: []` with
// `usage` — must not reach that client: it would break clients that expect a choice in
// every chunk. This filter splits the SSE stream into events and drops exactly that one;
// every other event passes through byte for byte, as soon as it is complete.
import { StringDecoder } from 'node:string_decoder';

const EVENT_END = /\r?\n\r?\n/;

function isUsageOnly(event: string): boolean {
  for (const line of event.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    try {
      const data = JSON.parse(line.slice(5)) as { choices?: unknown; usage?: unknown };
      return Array.isArray(data.choices) && data.choices.length === 0 && !!data.usage;
    } catch {
      return false;
    }
  }
  return false;
}

export class UsageChunkFilter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** Returns the complete events of this chunk that the client should get (maybe ''). */
  push(chunk: Buffer): string {
    this.pending += this.decoder.write(chunk);
    let out = '';
    for (let m = EVENT_END.exec(this.pending); m; m = EVENT_END.exec(this.pending)) {
      const end = m.index + m[0].length;
      const event = this.pending.slice(0, end);
      this.pending = this.pending.slice(end);
      if (!isUsageOnly(event)) out += event;
    }
    return out;
  }

  /** Whatever is left at the end of the stream (an unterminated event), unfiltered. */
  flush(): string {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return rest;
  }
}
