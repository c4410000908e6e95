// Re-encodes an OpenAI chat completions SSE stream as the Anthropic Messages event sequence:
// message_start, ping, then per content block content_block_start / _delta / _stop (thinking
// deltas, text deltas, tool_use input_json_delta), message_delta with stop_reason and usage,
// message_stop. Fed raw upstream chunks; returns the SSE text to write for each.
import { randomUUID } from 'node:crypto';
import { estimateTokens } from '../../domain/usage.js';
import { sameCall } from '../chat-tool-calls.js';
import { messageId, stopReason } from './from-chat.js';

type Obj = Record<string, unknown>;

export const sse = (event: string, data: unknown): string =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

const toolUseId = (): string => `toolu_${randomUUID().replace(/-/g, '')}`;

type Block = { kind: 'thinking' | 'text' } | { kind: 'tool'; upstreamIndex: number; upstreamId: string };

export class ChatToMessagesStream {
  private partial = '';
  private index = -1;
  private block: Block | undefined;
  private stop = 'end_turn';
  private ended = false;
  inputTokens: number;
  outputTokens = 0;
  outputChars = 0;
  usageReported = false;

  constructor(
    private readonly model: string,
    estimatedInputTokens: number,
  ) {
    this.inputTokens = estimatedInputTokens;
  }

  start(): string {
    return (
      sse('message_start', {
        type: 'message_start',
        message: {
          id: messageId(),
          type: 'message',
          role: 'assistant',
          model: this.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: this.inputTokens, output_tokens: 0 },
        },
      }) + sse('ping', { type: 'ping' })
    );
  }

  push(chunk: Buffer): string {
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    let out = '';
    for (const raw of lines) {
      const line = raw.trimEnd();
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '' || data === '[DONE]') continue;
      let parsed: Obj;
      try {
        parsed = JSON.parse(data) as Obj;
      } catch {
        continue;
      }
      out += this.chunk(parsed);
    }
    return out;
  }

  private open(block: Block, contentBlock: Obj): string {
    let out = this.close();
    this.index++;
    this.block = block;
    out += sse('content_block_start', {
      type: 'content_block_start',
      index: this.index,
      content_block: contentBlock,
    });
    return out;
  }

  private close(): string {
    if (!this.block) return '';
    this.block = undefined;
    return sse('content_block_stop', { type: 'content_block_stop', index: this.index });
  }

  private delta(delta: Obj): string {
    return sse('content_block_delta', { type: 'content_block_delta', index: this.index, delta });
  }

  private chunk(parsed: Obj): string {
    let out = '';
    const usage = parsed.usage as Obj | undefined;
    if (usage && typeof usage.prompt_tokens === 'number') {
      this.inputTokens = usage.prompt_tokens;
      this.outputTokens = typeof usage.completion_tokens === 'number' ? usage.completion_tokens : 0;
      this.usageReported = true;
    }
    for (const choice of Array.isArray(parsed.choices) ? (parsed.choices as Obj[]) : []) {
      const d = (choice.delta ?? {}) as Obj;
      const reasoning = d.reasoning_content ?? d.reasoning;
      if (typeof reasoning === 'string' && reasoning) {
        if (this.block?.kind !== 'thinking')
          out += this.open({ kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' });
        this.outputChars += reasoning.length;
        out += this.delta({ type: 'thinking_delta', thinking: reasoning });
      }
      if (typeof d.content === 'string' && d.content) {
        if (this.block?.kind !== 'text') out += this.open({ kind: 'text' }, { type: 'text', text: '' });
        this.outputChars += d.content.length;
        out += this.delta({ type: 'text_delta', text: d.content });
      }
      for (const call of Array.isArray(d.tool_calls) ? (d.tool_calls as Obj[]) : []) {
        const upstreamIndex = typeof call.index === 'number' ? call.index : 0;
        const fn = (call.function ?? {}) as Obj;
        const current = this.block;
        const upstreamId = typeof call.id === 'string' ? call.id : '';
        if (!sameCall(current?.kind === 'tool' ? current : undefined, upstreamIndex, upstreamId))
          out += this.open(
            { kind: 'tool', upstreamIndex, upstreamId },
            // Some servers stream calls without an id; the agent must answer with one that matches.
            {
              type: 'tool_use',
              id: call.id ? String(call.id) : toolUseId(),
              name: String(fn.name ?? ''),
              input: {},
            },
          );
        if (typeof fn.arguments === 'string' && fn.arguments) {
          this.outputChars += fn.arguments.length;
          out += this.delta({ type: 'input_json_delta', partial_json: fn.arguments });
        }
      }
      if (choice.finish_reason) this.stop = stopReason(choice.finish_reason);
    }
    return out;
  }

  /** Usage so far: the upstream's when it reported it, otherwise estimated from the text. */
  usage(): { promptTokens: number; completionTokens: number; estimated: boolean } {
    if (!this.usageReported) this.outputTokens = estimateTokens(this.outputChars);
    return {
      promptTokens: this.inputTokens,
      completionTokens: this.outputTokens,
      estimated: !this.usageReported,
    };
  }

  /** The closing events; call once the upstream stream has ended normally. */
  end(): string {
    if (this.ended) return '';
    this.ended = true;
    this.usage();
    return (
      this.close() +
      sse('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: this.stop, stop_sequence: null },
        usage: { input_tokens: this.inputTokens, output_tokens: this.outputTokens },
      }) +
      sse('message_stop', { type: 'message_stop' })
    );
  }
}
