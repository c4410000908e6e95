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

/**
 * The JSON payloads of an SSE stream's `data:` lines as chunks pass (a line split across
 * chunks included), without holding the stream. Empty, `[DONE]` and non-JSON data are skipped.
 * Every stream meter (chat completions, Messages, Responses) reads through this.
 */
export class SseJsonReader {
  private partial = '';

  push(chunk: Buffer): Record<string, unknown>[] {
    const lines = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    const out: Record<string, unknown>[] = [];
    for (const raw of lines) {
      const line = raw.trimEnd();
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '' || data === '[DONE]') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch {
        continue; // not JSON: nothing to meter
      }
      if (parsed && typeof parsed === 'object') out.push(parsed as Record<string, unknown>);
    }
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

/**
 * Reads an SSE stream's data lines as they pass, without holding them: the usage chunk if
 * the upstream sends one, otherwise the length of everything generated for an estimate.
 */
export class StreamUsageMeter {
  private readonly reader = new SseJsonReader();
  private chars = 0;
  usage: Usage | undefined;

  push(chunk: Buffer): void {
    for (const event of this.reader.push(chunk)) {
      const usage = usageFrom(event);
      if (usage) this.usage = usage;
      if (Array.isArray(event.choices)) for (const choice of event.choices) this.chars += choiceChars(choice);
    }
  }

  result(promptChars: number): Usage {
    return this.usage ?? estimatedUsage(promptChars, this.chars);
  }
}
