import { describe, expect, it } from '@jest/globals';
import {
  choiceChars,
  estimatedUsage,
  estimateTokens,
  SseJsonReader,
  StreamUsageMeter,
  usageFrom,
  type Usage,
} from '../../src/domain/usage.js';
import { MessagesUsageMeter } from '../../src/protocols/anthropic/usage.js';
import { ResponsesUsageMeter } from '../../src/protocols/responses/usage.js';

const event = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

describe('token usage', () => {
  it('reads usage from a JSON answer', () => {
    expect(usageFrom({ usage: { prompt_tokens: 5, completion_tokens: 2 } })).toEqual({
      promptTokens: 5,
      completionTokens: 2,
      estimated: false,
    });
    expect(usageFrom({})).toBeUndefined();
  });

  it('takes usage from the final stream chunk, even when chunks split events and lines', () => {
    const meter = new StreamUsageMeter();
    const text =
      event({ choices: [{ delta: { content: 'Hello' } }] }) +
      event({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 1 } }) +
      'data: [DONE]\n\n';
    for (let i = 0; i < text.length; i += 7) meter.push(Buffer.from(text.slice(i, i + 7)));
    expect(meter.result(100)).toEqual({ promptTokens: 9, completionTokens: 1, estimated: false });
  });

  it('estimates from the generated text when the upstream sends no usage, and says so', () => {
    const meter = new StreamUsageMeter();
    meter.push(Buffer.from(event({ choices: [{ delta: { content: '12345678' } }] })));
    meter.push(Buffer.from(event({ choices: [{ text: 'abcd' }] })));
    expect(meter.result(40)).toEqual({ promptTokens: 10, completionTokens: 3, estimated: true });
  });
});

// The meter parses only lines that may carry usage and counts the rest only when none came;
// its answer must be the one parsing every line of the whole text at once gives.
function reference(text: string, promptChars: number): Usage {
  let usage: Usage | undefined;
  let chars = 0;
  const lines = text.split('\n');
  lines.pop(); // an unterminated last line is never read: the stream ended before its newline
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '' || data === '[DONE]') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      continue;
    }
    if (!parsed || typeof parsed !== 'object') continue;
    const u = usageFrom(parsed);
    if (u) usage = u;
    const choices = (parsed as { choices?: unknown }).choices;
    if (Array.isArray(choices)) for (const c of choices) chars += choiceChars(c);
  }
  return usage ?? estimatedUsage(promptChars, chars);
}

function meterOver(bytes: Buffer, cuts: number[]): Usage {
  const meter = new StreamUsageMeter();
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    meter.push(bytes.subarray(from, cut));
    from = cut;
  }
  return meter.result(40);
}

const chunk = (delta: unknown, extra: object = {}) =>
  event({
    id: 'c',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: null }],
    ...extra,
  });

const STREAMS: Record<string, string> = {
  'usage at the end':
    chunk({ content: 'Hello' }) + event({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 1 } }),
  'usage: null on every chunk (include_usage)':
    chunk({ content: 'Hé ✓ 😀' }, { usage: null }) +
    chunk({ content: ' there' }, { usage: null }) +
    event({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 2 } }) +
    'data: [DONE]\n\n',
  'no usage, multi-byte text':
    chunk({ content: 'Grüße, 世界 😀' }) + chunk({ reasoning: 'ça' }) + 'data: [DONE]\n\n',
  'usage only as text in the content':
    chunk({ content: '"usage": {"prompt_tokens": 1}' }) + chunk({ content: 'x' }),
  'a usage key written with an escape':
    chunk({ content: 'ab' }) + 'data: {"choices":[],"\\u0075sage":{"prompt_tokens":3}}\n\n',
  'CRLF lines, comments, events and junk':
    ': keep-alive\r\n' +
    'event: message\r\ndata: {"choices":[{"delta":{"content":"crlf"}}]}\r\n\r\n' +
    'data: not json\n\ndata: 42\n\ndata:\n\n' +
    'data:   {"choices":[],"usage" :\t{"prompt_tokens":5,"completion_tokens":6}}  \r\n\r\n',
  'usage, then a later usage':
    event({ usage: { prompt_tokens: 1, completion_tokens: 1 } }) +
    chunk({ content: 'z' }) +
    event({ usage: { prompt_tokens: 2, completion_tokens: 3 } }),
  'usage without prompt tokens is not usage':
    chunk({ content: 'abc' }) + event({ choices: [], usage: { completion_tokens: 5 } }),
  'an unterminated last line':
    chunk({ content: 'kept' }) + 'data: {"choices":[{"delta":{"content":"lost"}}]}',
};

describe('stream usage meter, however the stream is cut', () => {
  it.each(Object.entries(STREAMS))('%s: every cut gives the whole-text answer', (_name, text) => {
    const bytes = Buffer.from(text, 'utf8');
    const expected = reference(text, 40);
    expect(meterOver(bytes, [])).toEqual(expected);
    // Every single cut (inside "usage", inside a multi-byte character, between \r and \n) and a few pairs.
    for (let cut = 1; cut < bytes.length; cut++) expect(meterOver(bytes, [cut])).toEqual(expected);
    for (let cut = 1; cut + 3 < bytes.length; cut += 5)
      expect(meterOver(bytes, [cut, cut + 3])).toEqual(expected);
    // Byte by byte.
    expect(
      meterOver(
        bytes,
        Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
      ),
    ).toEqual(expected);
  });

  it('reads a usage object split across chunks, and a character split across chunks whole', () => {
    const text =
      chunk({ content: '😀😀' }) + event({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 4 } });
    const bytes = Buffer.from(text);
    const usageAt = bytes.indexOf('"usage"');
    expect(meterOver(bytes, [usageAt + 3])).toEqual({
      promptTokens: 9,
      completionTokens: 4,
      estimated: false,
    });
    // Without usage the estimate counts the emoji as JavaScript does (two code units each), cut mid-character.
    const plain = Buffer.from(chunk({ content: '😀😀' }));
    const emojiAt = plain.indexOf(Buffer.from('😀'));
    const estimate = meterOver(plain, [emojiAt + 1, emojiAt + 6]);
    expect(estimate).toEqual({ promptTokens: 10, completionTokens: estimateTokens(4), estimated: true });
  });

  it('counts a long answer without usage exactly, past what it keeps unparsed', () => {
    const piece = chunk({ content: 'y'.repeat(1000) });
    const text = piece.repeat(200) + 'data: [DONE]\n\n'; // about 250 KB
    const expected = reference(text, 40);
    expect(expected).toEqual({
      promptTokens: 10,
      completionTokens: estimateTokens(200_000),
      estimated: true,
    });
    const bytes = Buffer.from(text);
    expect(
      meterOver(
        bytes,
        Array.from({ length: 300 }, (_, i) => i * 850 + 1),
      ),
    ).toEqual(expected);
  });
});

describe('SSE JSON reader (Messages and Responses meters)', () => {
  const sse = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

  it('meters an Anthropic Messages stream cut anywhere', () => {
    const text =
      sse('message_start', {
        type: 'message_start',
        message: { usage: { input_tokens: 12, output_tokens: 1 } },
      }) +
      sse('content_block_delta', {
        type: 'content_block_delta',
        delta: { type: 'text_delta', text: 'Grüß 😀' },
      }) +
      sse('message_delta', { type: 'message_delta', usage: { output_tokens: 7 } }) +
      sse('message_stop', { type: 'message_stop' });
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const meter = new MessagesUsageMeter();
      meter.push(bytes.subarray(0, cut));
      meter.push(bytes.subarray(cut));
      expect(meter.result(40)).toEqual({ promptTokens: 12, completionTokens: 7, estimated: false });
    }
    // Without the final count: the estimate counts the text, a split emoji included.
    const partial = Buffer.from(text.slice(0, text.indexOf('event: message_delta')));
    const at = partial.indexOf(Buffer.from('😀')) + 2;
    const meter = new MessagesUsageMeter();
    meter.push(partial.subarray(0, at));
    meter.push(partial.subarray(at));
    expect(meter.result(40)).toEqual({
      promptTokens: 12,
      completionTokens: estimateTokens(7),
      estimated: true,
    });
  });

  it('meters an OpenAI Responses stream cut anywhere', () => {
    const text =
      sse('response.output_text.delta', { type: 'response.output_text.delta', delta: 'héllo' }) +
      sse('response.completed', {
        type: 'response.completed',
        response: { usage: { input_tokens: 5, output_tokens: 2 } },
      });
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const meter = new ResponsesUsageMeter();
      meter.push(bytes.subarray(0, cut));
      meter.push(bytes.subarray(cut));
      expect(meter.result(40)).toEqual({ promptTokens: 5, completionTokens: 2, estimated: false });
    }
  });

  it('skips empty, [DONE] and non-JSON data and keeps an unterminated line for the next chunk', () => {
    const reader = new SseJsonReader();
    expect(
      reader.push(Buffer.from('data: [DONE]\n\ndata:\n\ndata: nope\n\ndata: "str"\n\ndata: {"a"')),
    ).toEqual([]);
    expect(reader.push(Buffer.from(':1}\r\n'))).toEqual([{ a: 1 }]);
  });
});
