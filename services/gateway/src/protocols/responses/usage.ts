// Token usage from a native Responses upstream: the JSON answer's usage, or the usage on the
// terminal response.completed / response.incomplete event as the SSE stream passes.
import { estimateTokens, type Usage } from '../../domain/usage.js';

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

export class ResponsesUsageMeter {
  private partial = '';
  private chars = 0;
  private usage: Usage | undefined;

  push(chunk: Buffer): void {
    const lines = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.trimEnd();
      if (!line.startsWith('data:')) continue;
      let e: Obj;
      try {
        e = JSON.parse(line.slice(5).trim()) as Obj;
      } catch {
        continue;
      }
      if (typeof e.delta === 'string') this.chars += e.delta.length;
      if (e.type === 'response.completed' || e.type === 'response.incomplete') {
        const u = usageFromResponse(e.response);
        if (u) this.usage = u;
      }
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
