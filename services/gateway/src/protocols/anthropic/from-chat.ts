// OpenAI chat completion answer → Anthropic Messages answer: reasoning becomes a thinking
// block, text a text block, tool calls tool_use blocks; finish reasons map to stop reasons.
import { randomUUID } from 'node:crypto';

type Obj = Record<string, unknown>;

export function stopReason(finish: unknown): string {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    default:
      return 'end_turn';
  }
}

export const messageId = (): string => `msg_${randomUUID().replace(/-/g, '')}`;

/** Tool arguments as an object; text that is not a JSON object is kept under "_raw" rather than lost. */
export function parseArguments(text: string): Obj {
  if (text.trim() === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : { _raw: text };
  } catch {
    return { _raw: text };
  }
}

export function chatToMessage(chat: Obj, model: string): Obj {
  const choice = (Array.isArray(chat.choices) ? chat.choices[0] : undefined) as Obj | undefined;
  const message = (choice?.message ?? {}) as Obj;
  const content: Obj[] = [];
  const reasoning = message.reasoning_content ?? message.reasoning;
  if (typeof reasoning === 'string' && reasoning)
    content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  if (typeof message.content === 'string' && message.content)
    content.push({ type: 'text', text: message.content });
  for (const call of Array.isArray(message.tool_calls) ? (message.tool_calls as Obj[]) : []) {
    const fn = (call.function ?? {}) as Obj;
    content.push({
      type: 'tool_use',
      id: call.id ? String(call.id) : `toolu_${randomUUID().replace(/-/g, '')}`,
      name: String(fn.name ?? ''),
      input: parseArguments(typeof fn.arguments === 'string' ? fn.arguments : ''),
    });
  }
  const usage = (chat.usage ?? {}) as Obj;
  return {
    id: messageId(),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: {
      input_tokens: typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : 0,
      output_tokens: typeof usage.completion_tokens === 'number' ? usage.completion_tokens : 0,
    },
  };
}
