// A real OpenAI-compatible server on 127.0.0.1 (node:http): JSON and SSE answers, with
// hooks to fail, hang or reset, and a record of what it received and of closed connections.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export type Behaviour = (req: Received, res: ServerResponse, raw: IncomingMessage) => void | Promise<void>;

export interface FakeUpstream {
  url: string;
  /** baseUrl for a policy (…/v1). */
  baseUrl: string;
  received: Received[];
  connections: number;
  closedRequests: number;
  behave(b: Behaviour): void;
  close(): Promise<void>;
}

export function chatCompletion(
  model: string,
  content = 'hello there',
  usage = { prompt_tokens: 7, completion_tokens: 3 },
) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

export function chunk(model: string, content: string | null, finish: string | null = null) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model,
    choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
  };
}

/** Default: answers chat/completions/embeddings in the OpenAI wire format; streams when asked. */
export const openAiBehaviour: Behaviour = async (req, res) => {
  const model = String(req.body.model);
  if (req.path.endsWith('/embeddings')) {
    return json(res, 200, {
      object: 'list',
      data: [
        {
          object: 'embedding',
          index: 0,
          // the openai SDK asks for base64 (float32, little-endian) by default
          embedding:
            req.body.encoding_format === 'base64'
              ? Buffer.from(new Float32Array([0.5, 0.25]).buffer).toString('base64')
              : [0.5, 0.25],
        },
      ],
      model,
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
  }
  if (req.path.endsWith('/completions') && !req.path.endsWith('/chat/completions')) {
    return json(res, 200, {
      id: 'cmpl-1',
      object: 'text_completion',
      created: 1,
      model,
      choices: [{ index: 0, text: 'done', finish_reason: 'stop' }],
      usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 },
    });
  }
  if (req.body.stream === true) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const piece of ['Hel', 'lo', '!']) {
      res.write(`data: ${JSON.stringify(chunk(model, piece))}\n\n`);
      await new Promise((r) => setTimeout(r, 5));
    }
    res.write(`data: ${JSON.stringify(chunk(model, null, 'stop'))}\n\n`);
    const opts = req.body.stream_options as { include_usage?: boolean } | undefined;
    if (opts?.include_usage) {
      res.write(
        `data: ${JSON.stringify({ ...chunk(model, null), choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } })}\n\n`,
      );
    }
    res.end('data: [DONE]\n\n');
    return;
  }
  json(res, 200, chatCompletion(model));
};

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startFakeUpstream(
  behaviour: Behaviour = openAiBehaviour,
  host = '127.0.0.1',
): Promise<FakeUpstream> {
  let current = behaviour;
  const sockets = new Set<Socket>();
  const state = { connections: 0, closedRequests: 0 };
  const received: Received[] = [];
  const server: Server = createServer((raw, res) => {
    const parts: Buffer[] = [];
    raw.on('data', (c: Buffer) => parts.push(c));
    raw.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      let body: Record<string, unknown>;
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = {};
      }
      const req: Received = { path: raw.url ?? '', headers: raw.headers, body };
      received.push(req);
      res.on('close', () => {
        if (!res.writableFinished) state.closedRequests++;
      });
      void Promise.resolve(current(req, res, raw)).catch(() => res.destroy());
    });
  });
  server.on('connection', (s: Socket) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    received,
    get connections() {
      return state.connections;
    },
    get closedRequests() {
      return state.closedRequests;
    },
    behave(b) {
      current = b;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
