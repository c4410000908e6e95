// Chat completions answer → Responses answer (object "response"): reasoning, message and
// function_call output items, usage in Responses' names, store: false (nothing is kept).
import { randomUUID } from 'node:crypto';
import { customInput, customToolCallItem, customToolNames } from './custom-tools.js';

type Obj = Record<string, unknown>;

export const newId = (prefix: string): string => `${prefix}_${randomUUID().replace(/-/g, '')}`;

export interface ResponseUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens_details: { reasoning_tokens: number };
}

export function responseUsage(input: number, output: number): ResponseUsage {
  return {
    input_tokens: input,
    output_tokens: output,
    total_tokens: input + output,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens_details: { reasoning_tokens: 0 },
  };
}

/** The response envelope; `output` and `usage` are filled as the answer is known. */
export function responseShell(id: string, model: string, request: Obj, status: string): Obj {
  return {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    error: null,
    incomplete_details: null,
    instructions: typeof request.instructions === 'string' ? request.instructions : null,
    max_output_tokens: typeof request.max_output_tokens === 'number' ? request.max_output_tokens : null,
    model,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls !== false,
    previous_response_id: null,
    store: false,
    temperature: typeof request.temperature === 'number' ? request.temperature : null,
    tool_choice: request.tool_choice ?? 'auto',
    tools: Array.isArray(request.tools) ? request.tools : [],
    top_p: typeof request.top_p === 'number' ? request.top_p : null,
    usage: null,
  };
}

export const reasoningItem = (id: string, text: string): Obj => ({
  type: 'reasoning',
  id,
  summary: [{ type: 'summary_text', text }],
});

export const messageItem = (id: string, text: string, status = 'completed'): Obj => ({
  type: 'message',
  id,
  status,
  role: 'assistant',
  content: [{ type: 'output_text', text, annotations: [] }],
});

export const functionCallItem = (
  id: string,
  callId: string,
  name: string,
  args: string,
  status = 'completed',
): Obj => ({
  type: 'function_call',
  id,
  call_id: callId,
  name,
  arguments: args,
  status,
});

export function chatToResponse(chat: Obj, model: string, request: Obj): Obj {
  const choice = (Array.isArray(chat.choices) ? chat.choices[0] : undefined) as Obj | undefined;
  const message = (choice?.message ?? {}) as Obj;
  const output: Obj[] = [];
  const reasoning = message.reasoning_content ?? message.reasoning;
  if (typeof reasoning === 'string' && reasoning) output.push(reasoningItem(newId('rs'), reasoning));
  if (typeof message.content === 'string' && message.content)
    output.push(messageItem(newId('msg'), message.content));
  const custom = customToolNames(request);
  for (const call of Array.isArray(message.tool_calls) ? (message.tool_calls as Obj[]) : []) {
    const fn = (call.function ?? {}) as Obj;
    const [callId, name, args] = [
      call.id ? String(call.id) : newId('call'),
      String(fn.name ?? ''),
      String(fn.arguments ?? ''),
    ];
    output.push(
      custom.has(name)
        ? customToolCallItem(newId('ctc'), callId, name, customInput(args))
        : functionCallItem(newId('fc'), callId, name, args),
    );
  }
  const usage = (chat.usage ?? {}) as Obj;
  const truncated = choice?.finish_reason === 'length';
  return {
    ...responseShell(newId('resp'), model, request, truncated ? 'incomplete' : 'completed'),
    incomplete_details: truncated ? { reason: 'max_output_tokens' } : null,
    output,
    usage: responseUsage(
      typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : 0,
      typeof usage.completion_tokens === 'number' ? usage.completion_tokens : 0,
    ),
  };
}
