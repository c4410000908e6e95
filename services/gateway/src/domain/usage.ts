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

/**
 * Reads an SSE stream's data lines as they pass, without holding them: the usage chunk if
 * the upstream sends one, otherwise the length of generated text for an estimate.
 */
export class StreamUsageMeter {
  private partial = '';
  private chars = 0;
  usage: Usage | undefined;

  push(chunk: Buffer): void {
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(raw: string): void {
    const line = raw.trimEnd();
    if (!line.startsWith('data:')) return;
    const data = line.slice(5).trim();
    if (data === '' || data === '[DONE]') return;
    let parsed: { choices?: { delta?: { content?: unknown }; text?: unknown }[] };
    try {
      parsed = JSON.parse(data) as typeof parsed;
    } catch {
      return;
    }
    const usage = usageFrom(parsed);
    if (usage) this.usage = usage;
    for (const choice of parsed.choices ?? []) {
      const piece = choice.delta?.content ?? choice.text;
      if (typeof piece === 'string') this.chars += piece.length;
    }
  }

  result(promptChars: number): Usage {
    return (
      this.usage ?? {
        promptTokens: estimateTokens(promptChars),
        completionTokens: estimateTokens(this.chars),
        estimated: true,
      }
    );
  }
}
