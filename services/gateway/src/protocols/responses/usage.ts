// Token usage from a native Responses upstream: the JSON answer's usage, or the usage on the
// terminal response.completed / response.incomplete event as the SSE stream passes.
import { estimatedUsage, SseJsonReader, type Usage } from '../../domain/usage.js';

type Obj = Record<string, unknown>;

export function usageFromResponse(value: unknown): Usage | undefined {
  const u = (value as { usage?: Obj } | null)?.usage;
  if (!u || typeof u.input_tokens !== 'number') return undefined;
  return {
    promptTokens: u.input_tokens,
    completionTokens: typeof u.output_tokens === 'number' ? u.output_tokens : 0,
    estimated: false,
  };
}

/**
 * Characters a non-stream Responses answer generated, for the estimate when it reports no
 * usage: output text and refusals, function calls (name and arguments) and reasoning
 * summaries, the same fields a stream's deltas carry.
 */
export function responseGeneratedChars(value: unknown): number {
  const output = (value as { output?: unknown } | null)?.output;
  if (!Array.isArray(output)) return 0;
  const text = (o: Obj, key: string) => (typeof o[key] === 'string' ? (o[key] as string).length : 0);
  let n = 0;
  for (const item of output as Obj[]) {
    if (!item || typeof item !== 'object') continue;
    n += text(item, 'name') + text(item, 'arguments');
    for (const list of [item.content, item.summary]) {
      if (!Array.isArray(list)) continue;
      for (const part of list as Obj[]) {
        if (part && typeof part === 'object') n += text(part, 'text') + text(part, 'refusal');
      }
    }
  }
  return n;
}

export class ResponsesUsageMeter {
  private readonly reader = new SseJsonReader();
  private chars = 0;
  private usage: Usage | undefined;

  push(chunk: Buffer): void {
    for (const e of this.reader.push(chunk)) {
      if (typeof e.delta === 'string') this.chars += e.delta.length;
      if (e.type === 'response.completed' || e.type === 'response.incomplete') {
        const u = usageFromResponse(e.response);
        if (u) this.usage = u;
      }
    }
  }

  result(promptChars: number): Usage {
    return this.usage ?? estimatedUsage(promptChars, this.chars);
  }
}
