// Re-encodes a chat completions SSE stream as the Responses event sequence: response.created,
// response.in_progress, per output item output_item.added → deltas (output_text.delta,
// function_call_arguments.delta, reasoning_summary_text.delta) → …done → output_item.done,
// then response.completed with usage. Every event carries a sequence_number. A call to one
// of the request's custom tools becomes a custom_tool_call item; its input is JSON-wrapped
// in the chat stream, so it is sent whole when the call ends (custom_tool_call_input.*).
import { estimateTokens } from '../../domain/usage.js';
import { sameCall } from '../chat-tool-calls.js';
import { customInput, customToolCallItem, customToolNames } from './custom-tools.js';
import {
  functionCallItem,
  messageItem,
  newId,
  reasoningItem,
  responseShell,
  responseUsage,
} from './from-chat.js';

type Obj = Record<string, unknown>;

type Item =
  | { kind: 'reasoning'; id: string; text: string }
  | { kind: 'message'; id: string; text: string }
  | {
      kind: 'call';
      id: string;
      callId: string;
      name: string;
      args: string;
      upstreamIndex: number;
      upstreamId: string;
    };

export class ChatToResponsesStream {
  private partial = '';
  private seq = 0;
  private item: Item | undefined;
  private readonly done: Obj[] = [];
  private readonly id = newId('resp');
  private truncated = false;
  inputTokens: number;
  outputTokens = 0;
  private outputChars = 0;
  private usageReported = false;
  private readonly custom: ReadonlySet<string>;

  constructor(
    private readonly model: string,
    private readonly request: Obj,
    estimatedInputTokens: number,
  ) {
    this.inputTokens = estimatedInputTokens;
    this.custom = customToolNames(request);
  }

  private event(type: string, data: Obj): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.seq++, ...data })}\n\n`;
  }

  private get index(): number {
    return this.done.length;
  }

  start(): string {
    const response = responseShell(this.id, this.model, this.request, 'in_progress');
    return this.event('response.created', { response }) + this.event('response.in_progress', { response });
  }

  push(chunk: Buffer): string {
    const lines = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    let out = '';
    for (const raw of lines) {
      const line = raw.trimEnd();
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '' || data === '[DONE]') continue;
      try {
        out += this.chunk(JSON.parse(data) as Obj);
      } catch {
        // not JSON: skipped, as a chat client would
      }
    }
    return out;
  }

  private open(item: Item): string {
    let out = this.close();
    this.item = item;
    const output_index = this.index;
    if (item.kind === 'reasoning') {
      out += this.event('response.output_item.added', {
        output_index,
        item: { type: 'reasoning', id: item.id, summary: [] },
      });
      out += this.event('response.reasoning_summary_part.added', {
        item_id: item.id,
        output_index,
        summary_index: 0,
        part: { type: 'summary_text', text: '' },
      });
    } else if (item.kind === 'message') {
      out += this.event('response.output_item.added', {
        output_index,
        item: { ...messageItem(item.id, '', 'in_progress'), content: [] },
      });
      out += this.event('response.content_part.added', {
        item_id: item.id,
        output_index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      });
    } else {
      out += this.event('response.output_item.added', {
        output_index,
        item: this.custom.has(item.name)
          ? customToolCallItem(item.id, item.callId, item.name, '', 'in_progress')
          : functionCallItem(item.id, item.callId, item.name, '', 'in_progress'),
      });
    }
    return out;
  }

  private close(): string {
    const item = this.item;
    if (!item) return '';
    this.item = undefined;
    const output_index = this.index;
    let out = '';
    let full: Obj;
    if (item.kind === 'reasoning') {
      out += this.event('response.reasoning_summary_text.done', {
        item_id: item.id,
        output_index,
        summary_index: 0,
        text: item.text,
      });
      out += this.event('response.reasoning_summary_part.done', {
        item_id: item.id,
        output_index,
        summary_index: 0,
        part: { type: 'summary_text', text: item.text },
      });
      full = reasoningItem(item.id, item.text);
    } else if (item.kind === 'message') {
      out += this.event('response.output_text.done', {
        item_id: item.id,
        output_index,
        content_index: 0,
        text: item.text,
      });
      out += this.event('response.content_part.done', {
        item_id: item.id,
        output_index,
        content_index: 0,
        part: { type: 'output_text', text: item.text, annotations: [] },
      });
      full = messageItem(item.id, item.text);
    } else if (this.custom.has(item.name)) {
      const input = customInput(item.args);
      out += this.event('response.custom_tool_call_input.delta', {
        item_id: item.id,
        output_index,
        delta: input,
      });
      out += this.event('response.custom_tool_call_input.done', { item_id: item.id, output_index, input });
      full = customToolCallItem(item.id, item.callId, item.name, input);
    } else {
      out += this.event('response.function_call_arguments.done', {
        item_id: item.id,
        output_index,
        arguments: item.args,
      });
      full = functionCallItem(item.id, item.callId, item.name, item.args);
    }
    out += this.event('response.output_item.done', { output_index, item: full });
    this.done.push(full);
    return out;
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
        if (this.item?.kind !== 'reasoning')
          out += this.open({ kind: 'reasoning', id: newId('rs'), text: '' });
        const item = this.item as Item & { kind: 'reasoning' };
        item.text += reasoning;
        this.outputChars += reasoning.length;
        out += this.event('response.reasoning_summary_text.delta', {
          item_id: item.id,
          output_index: this.index,
          summary_index: 0,
          delta: reasoning,
        });
      }
      if (typeof d.content === 'string' && d.content) {
        if (this.item?.kind !== 'message') out += this.open({ kind: 'message', id: newId('msg'), text: '' });
        const item = this.item as Item & { kind: 'message' };
        item.text += d.content;
        this.outputChars += d.content.length;
        out += this.event('response.output_text.delta', {
          item_id: item.id,
          output_index: this.index,
          content_index: 0,
          delta: d.content,
        });
      }
      for (const call of Array.isArray(d.tool_calls) ? (d.tool_calls as Obj[]) : []) {
        const upstreamIndex = typeof call.index === 'number' ? call.index : 0;
        const fn = (call.function ?? {}) as Obj;
        const current = this.item;
        const upstreamId = typeof call.id === 'string' ? call.id : '';
        if (!sameCall(current?.kind === 'call' ? current : undefined, upstreamIndex, upstreamId))
          out += this.open({
            kind: 'call',
            id: newId('fc'),
            callId: call.id ? String(call.id) : newId('call'),
            name: String(fn.name ?? ''),
            args: '',
            upstreamIndex,
            upstreamId,
          });
        const item = this.item as Item & { kind: 'call' };
        if (typeof fn.arguments === 'string' && fn.arguments) {
          item.args += fn.arguments;
          this.outputChars += fn.arguments.length;
          if (!this.custom.has(item.name))
            out += this.event('response.function_call_arguments.delta', {
              item_id: item.id,
              output_index: this.index,
              delta: fn.arguments,
            });
        }
      }
      if (choice.finish_reason === 'length') this.truncated = true;
    }
    return out;
  }

  usage(): { promptTokens: number; completionTokens: number; estimated: boolean } {
    if (!this.usageReported) this.outputTokens = estimateTokens(this.outputChars);
    return {
      promptTokens: this.inputTokens,
      completionTokens: this.outputTokens,
      estimated: !this.usageReported,
    };
  }

  end(): string {
    let out = this.close();
    this.usage();
    const response = {
      ...responseShell(this.id, this.model, this.request, this.truncated ? 'incomplete' : 'completed'),
      incomplete_details: this.truncated ? { reason: 'max_output_tokens' } : null,
      output: this.done,
      usage: responseUsage(this.inputTokens, this.outputTokens),
    };
    out += this.event(this.truncated ? 'response.incomplete' : 'response.completed', { response });
    return out;
  }

  /** The Responses stream's own error event, for an upstream failing mid-answer. */
  error(message: string): string {
    return this.event('error', { code: 'upstream_error', message, param: null });
  }
}
