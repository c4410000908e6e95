// Fake model servers that drive a real coding agent through a script: each answer is the
// script's next step, picked by how many tool results the conversation already carries
// (the agent sends the whole conversation every turn), so a step is a tool call until the
// script runs out and then a final text. The same script speaks each wire format in full:
// Anthropic Messages SSE (a Messages-native server), chat completions SSE (a chat-only
// server) and OpenAI Responses SSE (a Responses-native server). Every request is kept.
import type { ServerResponse } from 'node:http';
import { json, type Behaviour, type Received } from '../fake-upstream.js';

export interface ToolStep {
  tool: string;
  input: Record<string, unknown>;
}

type Obj = Record<string, unknown>;

const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** Tool results so far, in each format's own shape. */
function resultsSeen(body: Obj): number {
  const chat = list(body.messages).filter((m) => m.role === 'tool').length;
  const messages = list(body.messages)
    .flatMap((m) => list(m.content))
    .filter((b) => b.type === 'tool_result').length;
  const responses = list(body.input).filter((i) => i.type === 'function_call_output').length;
  return chat + messages + responses;
}

/** The next step, or undefined for the final text; a request offering no tools gets text too. */
function nextStep(script: ToolStep[], body: Obj): { step?: ToolStep; n: number } {
  const n = resultsSeen(body);
  if (list(body.tools).length === 0) return { n };
  return { step: script[n], n };
}

async function sse(res: ServerResponse, events: string[]): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const e of events) res.write(e);
  res.end();
}

/** Splits a tool's JSON arguments into two deltas, as real servers stream them. */
function halves(text: string): [string, string] {
  const cut = Math.floor(text.length / 2);
  return [text.slice(0, cut), text.slice(cut)];
}

/** A Messages-native server (vLLM, Ollama, llama.cpp, Anthropic): POST /v1/messages, streamed. */
export function messagesScript(script: ToolStep[], finalText: string): Behaviour {
  return async (req, res) => {
    if (!req.path.endsWith('/messages'))
      return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: 'Not found' } });
    if (req.body.stream !== true)
      return json(res, 400, {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'this script only streams' },
      });
    const { step, n } = nextStep(script, req.body);
    const ev = (type: string, data: Obj) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const events = [
      ev('message_start', {
        message: {
          id: `msg_${n}`,
          type: 'message',
          role: 'assistant',
          model: req.body.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 50, output_tokens: 1 },
        },
      }),
      ev('ping', {}),
    ];
    if (step) {
      const [a, b] = halves(JSON.stringify(step.input));
      events.push(
        ev('content_block_start', {
          index: 0,
          content_block: { type: 'tool_use', id: `toolu_${n}`, name: step.tool, input: {} },
        }),
        ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: a } }),
        ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: b } }),
        ev('content_block_stop', { index: 0 }),
      );
    } else {
      events.push(
        ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
        ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: finalText } }),
        ev('content_block_stop', { index: 0 }),
      );
    }
    events.push(
      ev('message_delta', {
        delta: { stop_reason: step ? 'tool_use' : 'end_turn', stop_sequence: null },
        usage: { output_tokens: 12 },
      }),
      ev('message_stop', {}),
    );
    await sse(res, events);
  };
}

/** A chat-completions-only server (openai-compatible, TGI): POST /v1/chat/completions, streamed. */
export function chatScript(
  script: ToolStep[],
  finalText: string,
  options: { preamble?: string } = {},
): Behaviour {
  return async (req, res) => {
    if (!req.path.endsWith('/chat/completions')) return json(res, 404, { error: { message: 'Not found' } });
    if (req.body.stream !== true)
      return json(res, 400, {
        error: { message: 'this script only streams', type: 'invalid_request_error' },
      });
    const { step, n } = nextStep(script, req.body);
    const model = String(req.body.model);
    const chunk = (delta: Obj, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: `chatcmpl-${n}`, object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const events: string[] = [];
    // Reasoning first, as vLLM's reasoning parsers stream it, then the call or the text.
    events.push(chunk({ role: 'assistant', content: null, reasoning_content: 'Thinking ' }));
    events.push(chunk({ reasoning_content: 'it over.' }));
    if (step) {
      // Models like gpt-oss and Qwen often say what they are about to do, then call.
      if (options.preamble) events.push(chunk({ content: options.preamble }));
      const [a, b] = halves(JSON.stringify(step.input));
      events.push(
        chunk({
          tool_calls: [
            { index: 0, id: `call_${n}`, type: 'function', function: { name: step.tool, arguments: '' } },
          ],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: a } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: b } }] }),
        chunk({}, 'tool_calls'),
      );
    } else {
      events.push(chunk({ content: finalText }), chunk({}, 'stop'));
    }
    if ((req.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage)
      events.push(
        `data: ${JSON.stringify({ id: `chatcmpl-${n}`, object: 'chat.completion.chunk', created: 1, model, choices: [], usage: { prompt_tokens: 60, completion_tokens: 14, total_tokens: 74 } })}\n\n`,
      );
    events.push('data: [DONE]\n\n');
    await sse(res, events);
  };
}

/** A Responses-native server (vLLM, OpenAI): POST /v1/responses, streamed. */
export function responsesScript(script: ToolStep[], finalText: string): Behaviour {
  return async (req, res) => {
    if (!req.path.endsWith('/responses')) return json(res, 404, { error: { message: 'Not found' } });
    if (req.body.stream !== true)
      return json(res, 400, {
        error: { message: 'this script only streams', type: 'invalid_request_error' },
      });
    const { step, n } = nextStep(script, req.body);
    const model = req.body.model;
    const item: Obj = step
      ? {
          type: 'function_call',
          id: `fc_${n}`,
          call_id: `call_${n}`,
          name: step.tool,
          arguments: JSON.stringify(step.input),
          status: 'completed',
        }
      : {
          type: 'message',
          id: `msg_${n}`,
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: finalText, annotations: [] }],
        };
    const response = (status: string, output: Obj[]) => ({
      id: `resp_${n}`,
      object: 'response',
      created_at: 1,
      status,
      model,
      output,
      store: false,
      usage:
        status === 'completed'
          ? {
              input_tokens: 70,
              input_tokens_details: { cached_tokens: 0 },
              output_tokens: 15,
              output_tokens_details: { reasoning_tokens: 0 },
              total_tokens: 85,
            }
          : null,
    });
    let seq = 0;
    const ev = (type: string, data: Obj) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
    const events = [
      ev('response.created', { response: response('in_progress', []) }),
      ev('response.in_progress', { response: response('in_progress', []) }),
    ];
    if (step) {
      const args = item.arguments as string;
      const [a, b] = halves(args);
      events.push(
        ev('response.output_item.added', {
          output_index: 0,
          item: { ...item, arguments: '', status: 'in_progress' },
        }),
        ev('response.function_call_arguments.delta', { item_id: item.id, output_index: 0, delta: a }),
        ev('response.function_call_arguments.delta', { item_id: item.id, output_index: 0, delta: b }),
        ev('response.function_call_arguments.done', { item_id: item.id, output_index: 0, arguments: args }),
      );
    } else {
      const part = { type: 'output_text', text: finalText, annotations: [] };
      const at = { item_id: item.id, output_index: 0, content_index: 0 };
      events.push(
        ev('response.output_item.added', {
          output_index: 0,
          item: { ...item, content: [], status: 'in_progress' },
        }),
        ev('response.content_part.added', { ...at, part: { ...part, text: '' } }),
        ev('response.output_text.delta', { ...at, delta: finalText }),
        ev('response.output_text.done', { ...at, text: finalText }),
        ev('response.content_part.done', { ...at, part }),
      );
    }
    events.push(
      ev('response.output_item.done', { output_index: 0, item }),
      ev('response.completed', { response: response('completed', [item]) }),
    );
    await sse(res, events);
  };
}

/** The text of every request after the first, where tool results (and their echoes) travel. */
export function laterRequestsText(received: Received[]): string {
  return received
    .slice(1)
    .map((r) => JSON.stringify(r.body))
    .join('\n');
}
