// Token usage: from the upstream when it reports it, otherwise estimated (about four
// characters a token) and marked as estimated in the audit record.

export interface Usage {
  promptTokens?: number;
  completionTokens?: number;
  estimated: boolean;
}

interface WireUsage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
}

export function usageFrom(value: unknown): Usage | undefined {
  const u = (value as { usage?: WireUsage } | null)?.usage;
  if (!u || typeof u !== 'object') return undefined;
  const p = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : undefined;
  const c = typeof u.completion_tokens === 'number' ? u.completion_tokens : 0;
  if (p === undefined) return undefined;
  return { promptTokens: p, completionTokens: c, estimated: false };
}

export const estimateTokens = (chars: number): number => Math.ceil(chars / 4);

/** The estimate when an upstream reports no usage: the prompt's and the generated characters. */
export function estimatedUsage(promptChars: number, generatedChars: number): Usage {
  return {
    promptTokens: estimateTokens(promptChars),
    completionTokens: estimateTokens(generatedChars),
    estimated: true,
  };
}

const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const DATA = Buffer.from('data:');
const USAGE_KEY = Buffer.from('"usage"');

/**
 * The `data:` lines of an SSE stream as bytes, a line split across chunks included. Lines
 * are cut at the newline byte, which never occurs inside a multi-byte UTF-8 character, so a
 * character split across chunks is decoded whole; other lines are never decoded at all.
 */
export class SseDataLines {
  private partial: Buffer | undefined;

  /** Calls `each` with every complete `data:` line's payload: bytes start..end of buf. */
  push(chunk: Buffer, each: (buf: Buffer, start: number, end: number) => void): void {
    let from = 0;
    let nl = chunk.indexOf(NEWLINE);
    if (nl === -1) {
      this.partial = this.partial ? Buffer.concat([this.partial, chunk]) : chunk;
      return;
    }
    if (this.partial) {
      const line = Buffer.concat([this.partial, chunk.subarray(0, nl)]);
      this.partial = undefined;
      if (isData(line, 0)) each(line, DATA.length, line.length);
      from = nl + 1;
      nl = chunk.indexOf(NEWLINE, from);
    }
    while (nl !== -1) {
      if (isData(chunk, from)) each(chunk, from + DATA.length, nl);
      from = nl + 1;
      nl = chunk.indexOf(NEWLINE, from);
    }
    // Copied: a subarray would keep the whole chunk alive until the line ends.
    if (from < chunk.length) this.partial = Buffer.from(chunk.subarray(from));
  }
}

function isData(buf: Buffer, at: number): boolean {
  if (buf.length - at < DATA.length) return false;
  for (let i = 0; i < DATA.length; i++) if (buf[at + i] !== DATA[i]) return false;
  return true;
}

/** A data payload as JSON: undefined when empty, `[DONE]`, not JSON or not an object. */
export function ssePayload(buf: Buffer, start: number, end: number): Record<string, unknown> | undefined {
  return jsonPayload(buf.toString('utf8', start, end));
}

function jsonPayload(text: string): Record<string, unknown> | undefined {
  const data = text.trim();
  if (data === '' || data === '[DONE]') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined; // not JSON: nothing to meter
  }
  return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
}

/**
 * Whether a payload can hold a `usage` object at all: without an escape, such a key is the
 * bytes `"usage"` then `:` and `{` (JSON whitespace between). Anything else (`"usage":null`
 * on every chunk, as OpenAI sends with include_usage) certainly has none. A yes may be wrong.
 */
export function mayHoldUsage(buf: Buffer, start: number, end: number): boolean {
  const escape = buf.indexOf(BACKSLASH, start);
  if (escape !== -1 && escape < end) return true;
  for (let at = buf.indexOf(USAGE_KEY, start); at !== -1 && at < end; at = buf.indexOf(USAGE_KEY, at + 1)) {
    let i = skipSpace(buf, at + USAGE_KEY.length, end);
    if (buf[i] !== 0x3a /* : */) continue;
    i = skipSpace(buf, i + 1, end);
    if (i < end && buf[i] === 0x7b /* { */) return true;
  }
  return false;
}

function skipSpace(buf: Buffer, i: number, end: number): number {
  while (i < end && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  return i;
}

/**
 * The JSON payloads of an SSE stream's `data:` lines as chunks pass (a line split across
 * chunks included), without holding the stream. Empty, `[DONE]` and non-JSON data are skipped.
 * The Messages and Responses stream meters read through this.
 */
export class SseJsonReader {
  private readonly lines = new SseDataLines();

  push(chunk: Buffer): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    this.lines.push(chunk, (buf, start, end) => {
      const event = ssePayload(buf, start, end);
      if (event) out.push(event);
    });
    return out;
  }
}

// Bookkeeping fields of a delta or message, not generated text.
const NOT_GENERATED = new Set(['role', 'type', 'id', 'index', 'tool_call_id']);

/**
 * Characters the model generated in a delta, message or choice: every string in it, so
 * content, refusal, reasoning (`reasoning_content`, `reasoning`), tool-call names and
 * arguments and fields added later all count (a tool call is not free).
 */
export function generatedChars(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length;
  if (!value || typeof value !== 'object' || depth > 16) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += generatedChars(v, depth + 1);
    return n;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (!NOT_GENERATED.has(key)) n += generatedChars(v, depth + 1);
  }
  return n;
}

/** What one choice generated, streamed (delta) or not (message), chat or completion (text). */
export function choiceChars(choice: unknown): number {
  const c = choice as { delta?: unknown; message?: unknown; text?: unknown } | null;
  if (!c || typeof c !== 'object') return 0;
  return generatedChars(c.delta) + generatedChars(c.message) + generatedChars(c.text);
}

/** What a non-stream chat or completion answer generated, over all its choices. */
export function answerChars(answer: unknown): number {
  const choices = (answer as { choices?: unknown } | null)?.choices;
  return Array.isArray(choices) ? choices.reduce<number>((n, c) => n + choiceChars(c), 0) : 0;
}

// Payload bytes a meter may keep unparsed per stream before it counts them anyway.
const DEFERRED_CAP = 64 * 1024;

/**
 * Reads an SSE stream's data lines as they pass, without holding the stream: the usage chunk
 * if the upstream sends one, otherwise the length of everything generated for an estimate.
 * Only a line that may carry usage is parsed at once. The others matter only if no usage
 * comes, so up to DEFERRED_CAP bytes of them wait (decoded) and are counted then; once usage
 * has come they are dropped unparsed. The answer is the one parsing every line gives.
 */
export class StreamUsageMeter {
  private readonly lines = new SseDataLines();
  private chars = 0;
  private deferred: string[] = [];
  private deferredBytes = 0;
  usage: Usage | undefined;

  push(chunk: Buffer): void {
    this.lines.push(chunk, (buf, start, end) => {
      if (mayHoldUsage(buf, start, end)) this.read(ssePayload(buf, start, end));
      else if (this.usage === undefined) this.defer(buf, start, end);
    });
  }

  result(promptChars: number): Usage {
    if (this.usage) return this.usage;
    this.countDeferred();
    return estimatedUsage(promptChars, this.chars);
  }

  private read(event: Record<string, unknown> | undefined): void {
    if (!event) return;
    const usage = usageFrom(event);
    if (usage) {
      this.usage = usage;
      this.deferred = [];
      this.deferredBytes = 0;
    }
    if (Array.isArray(event.choices)) for (const choice of event.choices) this.chars += choiceChars(choice);
  }

  private defer(buf: Buffer, start: number, end: number): void {
    // Decoded now (a copy of its own, as a slice of the chunk would keep the chunk alive).
    this.deferred.push(buf.toString('utf8', start, end));
    this.deferredBytes += end - start;
    if (this.deferredBytes > DEFERRED_CAP) this.countDeferred();
  }

  private countDeferred(): void {
    for (const payload of this.deferred) this.read(jsonPayload(payload));
    this.deferred = [];
    this.deferredBytes = 0;
  }
}
