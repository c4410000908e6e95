// Rule: the usage-chunk filter drops exactly the usage-only event the gateway asked for on a
// client's behalf and passes every other byte through unchanged, however the stream is cut.
import { describe, expect, it } from '@jest/globals';
import { UsageChunkFilter } from '../../src/domain/usage-chunk-filter.js';

// The rule on the whole text at once: events end at a blank line; an event whose first data
// line is JSON with `choices: []` and a usage is dropped; an unterminated rest passes.
function reference(text: string): string {
  const end = /\r?\n\r?\n/;
  let rest = text;
  let out = '';
  for (let m = end.exec(rest); m; m = end.exec(rest)) {
    const event = rest.slice(0, m.index + m[0].length);
    rest = rest.slice(m.index + m[0].length);
    const first = event.split(/\r?\n/).find((line) => line.startsWith('data:'));
    let drop = false;
    if (first !== undefined) {
      try {
        const data = JSON.parse(first.slice(5)) as { choices?: unknown; usage?: unknown };
        drop = Array.isArray(data.choices) && data.choices.length === 0 && !!data.usage;
      } catch {
        drop = false;
      }
    }
    if (!drop) out += event;
  }
  return out + rest;
}

function filtered(bytes: Buffer, cuts: number[]): Buffer {
  const filter = new UsageChunkFilter();
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(filter.push(bytes.subarray(from, cut)));
    from = cut;
  }
  out.push(filter.flush());
  return Buffer.concat(out);
}

const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
const USAGE = data({ id: 'c', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } });

const STREAMS: Record<string, string> = {
  'the usage chunk of an include_usage stream':
    data({ choices: [{ delta: { content: 'Grüße 😀' } }], usage: null }) + USAGE + 'data: [DONE]\n\n',
  'CRLF events, an event line first, spaced empty array':
    'event: x\r\ndata: {"choices":[{"delta":{"content":"a"}}]}\r\n\r\n' +
    'event: y\r\ndata: {"choices": [ ],"usage":{"prompt_tokens":1}}\r\n\r\n' +
    ': comment\n\n',
  'mixed line ends between events':
    'data: {"choices":[]}\n\r\ndata: {"choices":[],"usage":1}\r\n\ndata: [DONE]\n\n',
  'empty choices without usage, usage with choices, not JSON':
    data({ choices: [] }) +
    data({ choices: [{ delta: {} }], usage: { prompt_tokens: 1 } }) +
    'data: {"choices":[],"usage":\n\n' +
    data({ choices: [], usage: null }) +
    data({ choices: [], usage: 0 }),
  'an escaped key and an empty array only as text':
    'data: {"\\u0063hoices":[],"usage":{"prompt_tokens":1}}\n\n' +
    data({ choices: [{ delta: { content: '[]' } }] }),
  'an unterminated last event':
    data({ choices: [{ delta: { content: 'x' } }] }) + 'data: {"choices":[],"usage":{}}\n',
  'stray carriage returns': 'data: {"a":1}\n\r\r\n\ndata: {"choices":[],"usage":{"p":1}}\r\n\r\n\r\n',
};

describe('usage chunk filter', () => {
  it.each(Object.entries(STREAMS))('%s: every cut gives the whole-text answer', (_name, text) => {
    const bytes = Buffer.from(text, 'utf8');
    const expected = Buffer.from(reference(text), 'utf8');
    expect(filtered(bytes, [])).toEqual(expected);
    for (let cut = 1; cut < bytes.length; cut++) expect(filtered(bytes, [cut])).toEqual(expected);
    for (let cut = 1; cut + 2 < bytes.length; cut += 3)
      expect(filtered(bytes, [cut, cut + 2])).toEqual(expected);
    expect(
      filtered(
        bytes,
        Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
      ),
    ).toEqual(expected);
  });

  it('drops the usage-only event and passes the rest through, emoji split or not', () => {
    const text = data({ choices: [{ delta: { content: '😀' } }] }) + USAGE + 'data: [DONE]\n\n';
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(Buffer.from('😀')) + 2;
    expect(filtered(bytes, [cut]).toString('utf8')).toBe(
      data({ choices: [{ delta: { content: '😀' } }] }) + 'data: [DONE]\n\n',
    );
  });

  it('passes bytes that are not UTF-8 through unchanged', () => {
    const bytes = Buffer.concat([
      Buffer.from('data: {"x":"'),
      Buffer.from([0xff, 0xc3]),
      Buffer.from('"}\n\n'),
    ]);
    expect(filtered(bytes, [13])).toEqual(bytes);
  });

  it('agrees with the whole-text rule on random streams cut at random', () => {
    const pieces = [
      'data: ',
      '{"choices":[]',
      ',"usage":{"prompt_tokens":1}}',
      '{"choices":[{"delta":{"content":"é"}}]}',
      '\n',
      '\r\n',
      '\r',
      'event: e',
      ':',
      '😀',
      '[ ]',
    ];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      let text = '';
      for (let i = random(30); i > 0; i--) text += pieces[random(pieces.length)];
      const bytes = Buffer.from(text);
      const cuts = [...new Set(Array.from({ length: random(6) }, () => random(bytes.length + 1)))].sort(
        (a, b) => a - b,
      );
      expect(filtered(bytes, cuts)).toEqual(Buffer.from(reference(text)));
    }
  });
});
