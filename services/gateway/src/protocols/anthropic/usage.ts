// Token usage from a native Messages upstream: the JSON answer's usage, or message_start's
// input_tokens and message_delta's output_tokens as the SSE stream passes (not held).
import { estimatedUsage, SseJsonReader, type Usage } from '../../domain/usage.js';

type Obj = Record<string, unknown>;

export function usageFromMessage(value: unknown): Usage | undefined {
  const u = (value as { usage?: Obj } | null)?.usage;
  if (!u || typeof u.input_tokens !== 'number') return undefined;
  // Cached prompt tokens are prompt tokens too: they count against limits.
  const cached =
    (typeof u.cache_read_input_tokens === 'number' ? u.cache_read_input_tokens : 0) +
    (typeof u.cache_creation_input_tokens === 'number' ? u.cache_creation_input_tokens : 0);
  return {
    promptTokens: u.input_tokens + cached,
    completionTokens: typeof u.output_tokens === 'number' ? u.output_tokens : 0,
    estimated: false,
  };
}

/**
 * Characters a non-stream Messages answer generated, for the estimate when it reports no
 * usage: text, thinking and each tool call (its name and its input as JSON, as a stream's
 * partial_json would carry it). Signatures and redacted thinking are opaque, not generated text.
 */
export function messageGeneratedChars(value: unknown): number {
  const content = (value as { content?: unknown } | null)?.content;
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const block of content as Obj[]) {
    if (!block || typeof block !== 'object') continue;
    for (const key of ['text', 'thinking', 'name'] as const) {
      if (typeof block[key] === 'string') n += (block[key] as string).length;
    }
    if (block.type === 'tool_use' && block.input !== undefined) n += JSON.stringify(block.input).length;
  }
  return n;
}

export class MessagesUsageMeter {
  private readonly reader = new SseJsonReader();
  private chars = 0;
  private input: number | undefined;
  private output: number | undefined;

  push(chunk: Buffer): void {
    for (const e of this.reader.push(chunk)) {
      if (e.type === 'message_start') {
        const u = usageFromMessage(e.message);
        if (u) this.input = u.promptTokens;
      } else if (e.type === 'message_delta') {
        const u = (e.usage ?? {}) as Obj;
        if (typeof u.output_tokens === 'number') this.output = u.output_tokens;
        if (typeof u.input_tokens === 'number') this.input = u.input_tokens;
      } else if (e.type === 'content_block_delta') {
        const d = (e.delta ?? {}) as Obj;
        const piece = d.text ?? d.thinking ?? d.partial_json;
        if (typeof piece === 'string') this.chars += piece.length;
      }
    }
  }

  result(promptChars: number): Usage {
    if (this.input !== undefined && this.output !== undefined)
      return { promptTokens: this.input, completionTokens: this.output, estimated: false };
    const estimate = estimatedUsage(promptChars, this.chars);
    return this.input === undefined ? estimate : { ...estimate, promptTokens: this.input };
  }
}
