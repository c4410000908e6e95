// Behaviours for the fake upstream that a coding agent's round trip needs, in each wire
// format: a chat-completions server that reasons, calls a tool, then answers once it sees
// the tool's result; and a native Anthropic Messages server with the same script.
import type { ServerResponse } from 'node:http';
import { json, type Behaviour } from './fake-upstream.js';

const pause = () => new Promise((r) => setTimeout(r, 2));

/** Did the last turn carry a tool result (chat: a tool message; Messages: a tool_result block)? */
function sawToolResult(body: Record<string, unknown>): boolean {
  const messages = (body.messages ?? []) as { role?: string; content?: unknown }[];
  const last = messages.at(-1);
  if (last?.role === 'tool') return true;
  return (
    Array.isArray(last?.content) && last.content.some((b) => (b as { type?: string }).type === 'tool_result')
  );
}

export const TOOL_ARGS = '{"path":"hello.txt","content":"written by the agent"}';

async function sse(res: ServerResponse, events: string[]): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const e of events) {
    res.write(e);
    await pause();
  }
  res.end();
}

/** Chat completions only: reasoning_content, then a write_file tool call, then "done" after the result. */
export const chatAgentBehaviour: Behaviour = async (req, res) => {
  const model = String(req.body.model);
  const toolTurn = !sawToolResult(req.body);
  const usage = { prompt_tokens: 21, completion_tokens: toolTurn ? 13 : 2, total_tokens: toolTurn ? 34 : 23 };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  if (req.body.stream !== true) {
    const message = toolTurn
      ? {
          role: 'assistant',
          content: null,
          reasoning_content: 'I should write the file.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'write_file', arguments: TOOL_ARGS } },
          ],
        }
      : { role: 'assistant', content: 'done' };
    return json(res, 200, {
      id: 'c1',
      object: 'chat.completion',
      created: 1,
      model,
      choices: [{ index: 0, message, finish_reason: toolTurn ? 'tool_calls' : 'stop' }],
      usage,
    });
  }
  const events = toolTurn
    ? [
        chunk({ role: 'assistant', reasoning_content: 'I should ' }),
        chunk({ reasoning_content: 'write the file.' }),
        chunk({
          tool_calls: [
            { index: 0, id: 'call_1', type: 'function', function: { name: 'write_file', arguments: '' } },
          ],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: TOOL_ARGS.slice(0, 20) } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: TOOL_ARGS.slice(20) } }] }),
        chunk({}, 'tool_calls'),
      ]
    : [chunk({ role: 'assistant', content: 'do' }), chunk({ content: 'ne' }), chunk({}, 'stop')];
  const opts = req.body.stream_options as { include_usage?: boolean } | undefined;
  if (opts?.include_usage)
    events.push(
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model, choices: [], usage })}\n\n`,
    );
  events.push('data: [DONE]\n\n');
  await sse(res, events);
};

const event = (type: string, data: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** A native Messages server: the same script in Anthropic's own JSON and event sequence. */
export const messagesAgentBehaviour: Behaviour = async (req, res) => {
  if (!req.path.endsWith('/messages'))
    return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: 'no' } });
  const model = String(req.body.model);
  const toolTurn = !sawToolResult(req.body);
  const input = JSON.parse(TOOL_ARGS) as Record<string, unknown>;
  const content = toolTurn
    ? [
        { type: 'thinking', thinking: 'I should write the file.', signature: 'sig' },
        { type: 'tool_use', id: 'toolu_1', name: 'write_file', input },
      ]
    : [{ type: 'text', text: 'done' }];
  const usage = { input_tokens: 30, output_tokens: toolTurn ? 17 : 2 };
  if (req.body.stream !== true) {
    return json(res, 200, {
      id: 'msg_native',
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: toolTurn ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage,
    });
  }
  const events = [
    event('message_start', {
      message: {
        id: 'msg_native',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 30, output_tokens: 1 },
      },
    }),
    event('ping', {}),
  ];
  if (toolTurn) {
    events.push(
      event('content_block_start', {
        index: 0,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      }),
      event('content_block_delta', {
        index: 0,
        delta: { type: 'thinking_delta', thinking: 'I should write the file.' },
      }),
      event('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'sig' } }),
      event('content_block_stop', { index: 0 }),
      event('content_block_start', {
        index: 1,
        content_block: { type: 'tool_use', id: 'toolu_1', name: 'write_file', input: {} },
      }),
      event('content_block_delta', {
        index: 1,
        delta: { type: 'input_json_delta', partial_json: TOOL_ARGS.slice(0, 20) },
      }),
      event('content_block_delta', {
        index: 1,
        delta: { type: 'input_json_delta', partial_json: TOOL_ARGS.slice(20) },
      }),
      event('content_block_stop', { index: 1 }),
    );
  } else {
    events.push(
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'done' } }),
      event('content_block_stop', { index: 0 }),
    );
  }
  events.push(
    event('message_delta', {
      delta: { stop_reason: toolTurn ? 'tool_use' : 'end_turn', stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    }),
    event('message_stop', {}),
  );
  await sse(res, events);
};

/** A native Responses server (vLLM, OpenAI): the same script as Responses items and events. */
export const responsesAgentBehaviour: Behaviour = async (req, res) => {
  if (!req.path.endsWith('/responses')) return json(res, 404, { error: { message: 'no such path' } });
  const model = String(req.body.model);
  const input = (req.body.input ?? []) as { type?: string }[];
  const toolTurn = !(Array.isArray(input) && input.some((i) => i.type === 'function_call_output'));
  const item = toolTurn
    ? {
        type: 'function_call',
        id: 'fc_native',
        call_id: 'call_native',
        name: 'write_file',
        arguments: TOOL_ARGS,
        status: 'completed',
      }
    : {
        type: 'message',
        id: 'msg_native',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'done', annotations: [] }],
      };
  const response = (status: string, output: unknown[]) => ({
    id: 'resp_native',
    object: 'response',
    created_at: 1,
    status,
    model,
    output,
    store: req.body.store,
    usage: status === 'completed' ? { input_tokens: 40, output_tokens: 9, total_tokens: 49 } : null,
  });
  if (req.body.stream !== true) return json(res, 200, response('completed', [item]));
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
  const events = [ev('response.created', { response: response('in_progress', []) })];
  if (toolTurn) {
    events.push(
      ev('response.output_item.added', {
        output_index: 0,
        item: { ...item, arguments: '', status: 'in_progress' },
      }),
      ev('response.function_call_arguments.delta', {
        item_id: 'fc_native',
        output_index: 0,
        delta: TOOL_ARGS,
      }),
      ev('response.function_call_arguments.done', {
        item_id: 'fc_native',
        output_index: 0,
        arguments: TOOL_ARGS,
      }),
    );
  } else {
    events.push(
      ev('response.output_item.added', {
        output_index: 0,
        item: { ...item, content: [], status: 'in_progress' },
      }),
      ev('response.content_part.added', {
        item_id: 'msg_native',
        output_index: 0,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      }),
      ev('response.output_text.delta', {
        item_id: 'msg_native',
        output_index: 0,
        content_index: 0,
        delta: 'done',
      }),
      ev('response.output_text.done', {
        item_id: 'msg_native',
        output_index: 0,
        content_index: 0,
        text: 'done',
      }),
      ev('response.content_part.done', {
        item_id: 'msg_native',
        output_index: 0,
        content_index: 0,
        part: { type: 'output_text', text: 'done', annotations: [] },
      }),
    );
  }
  events.push(
    ev('response.output_item.done', { output_index: 0, item }),
    ev('response.completed', { response: response('completed', [item]) }),
  );
  await sse(res, events);
};
