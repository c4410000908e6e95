// Benchmark upstream with 0 ms "model time": answers OpenAI chat completions, the Anthropic
// Messages API (/v1/messages) and the OpenAI Responses API (/v1/responses), as JSON or as SSE
// (when the body asks for stream: true). Runs in its own process; reports its port over IPC.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const sse = (event: string | null, data: unknown) =>
  `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

const completion = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1,
  model: 'bench',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello from the bench upstream.' },
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
});
const chunk = (content: string | null, finish: string | null) =>
  sse(null, {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'bench',
    choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
  });
const chatStream = [
  chunk('Hello', null),
  chunk(' there', null),
  chunk(null, 'stop'),
  sse(null, {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'bench',
    choices: [],
    usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
  }),
  'data: [DONE]\n\n',
];

const message = JSON.stringify({
  id: 'msg_bench',
  type: 'message',
  role: 'assistant',
  model: 'bench',
  content: [{ type: 'text', text: 'Hello from the bench upstream.' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 7 },
});
const messageStream = [
  sse('message_start', {
    type: 'message_start',
    message: {
      id: 'msg_bench',
      type: 'message',
      role: 'assistant',
      model: 'bench',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 1 },
    },
  }),
  sse('content_block_start', {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' },
  }),
  sse('content_block_delta', {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text: 'Hello' },
  }),
  sse('content_block_delta', {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text: ' there' },
  }),
  sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
  sse('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 3 },
  }),
  sse('message_stop', { type: 'message_stop' }),
];

const responseBody = (status: string, text: string) => ({
  id: 'resp_bench',
  object: 'response',
  created_at: 1,
  status,
  model: 'bench',
  output: text
    ? [
        {
          type: 'message',
          id: 'msg_bench',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text, annotations: [] }],
        },
      ]
    : [],
  usage: text ? { input_tokens: 12, output_tokens: 7, total_tokens: 19 } : null,
});
const response = JSON.stringify(responseBody('completed', 'Hello from the bench upstream.'));
const responseStream = [
  sse('response.created', { type: 'response.created', response: responseBody('in_progress', '') }),
  sse('response.output_text.delta', {
    type: 'response.output_text.delta',
    item_id: 'msg_bench',
    output_index: 0,
    content_index: 0,
    delta: 'Hello',
  }),
  sse('response.output_text.delta', {
    type: 'response.output_text.delta',
    item_id: 'msg_bench',
    output_index: 0,
    content_index: 0,
    delta: ' there',
  }),
  sse('response.completed', {
    type: 'response.completed',
    response: responseBody('completed', 'Hello there'),
  }),
];

function answer(res: ServerResponse, json: string, events: readonly string[], stream: boolean): void {
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (let i = 0; i < events.length - 1; i++) res.write(events[i]);
  res.end(events[events.length - 1]);
}

const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const stream = Buffer.concat(parts).includes('"stream":true');
    if (req.url?.endsWith('/messages')) answer(res, message, messageStream, stream);
    else if (req.url?.endsWith('/responses')) answer(res, response, responseStream, stream);
    else answer(res, completion, chatStream, stream);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
