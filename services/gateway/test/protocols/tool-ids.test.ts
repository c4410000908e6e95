import { describe, expect, it } from '@jest/globals';
import { chatToMessage } from '../../src/protocols/anthropic/from-chat.js';
import { ChatToMessagesStream } from '../../src/protocols/anthropic/stream.js';
import { chatToResponse } from '../../src/protocols/responses/from-chat.js';
import { ChatToResponsesStream } from '../../src/protocols/responses/stream.js';

// An agent answers each call with a result naming its id (Claude Code's tool_result, Codex's
// function_call_output), so a translated call must carry one even when the chat server sent
// none or an empty one.
type Obj = Record<string, unknown>;
const chunk = (delta: Obj, finish: string | null = null) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

describe('tool_use ids from a chat server that sends none', () => {
  it('streams a tool_use block with a generated id', () => {
    const stream = new ChatToMessagesStream('m', 1);
    const sse =
      stream.start() +
      stream.push(
        Buffer.from(
          chunk({
            tool_calls: [
              { index: 0, id: '', type: 'function', function: { name: 'Write', arguments: '{}' } },
            ],
          }) +
            chunk({
              tool_calls: [{ index: 1, type: 'function', function: { name: 'Read', arguments: '{}' } }],
            }) +
            chunk({}, 'tool_calls'),
        ),
      ) +
      stream.end();
    const starts = sse
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { type: string; content_block?: { id: string; name: string } })
      .filter((e) => e.type === 'content_block_start')
      .map((e) => e.content_block!);
    expect(starts.map((b) => b.name)).toEqual(['Write', 'Read']);
    for (const b of starts) expect(b.id).toMatch(/^toolu_[0-9a-f]{32}$/);
    expect(starts[0]!.id).not.toBe(starts[1]!.id);
  });

  it('answers a non-streamed call with a generated id, and keeps a real one', () => {
    const message = chatToMessage(
      {
        choices: [
          {
            message: {
              role: 'assistant',
              tool_calls: [
                { id: '', type: 'function', function: { name: 'Write', arguments: '{}' } },
                { id: 'call_7', type: 'function', function: { name: 'Read', arguments: '{}' } },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
      },
      'm',
    );
    const ids = (message.content as { id: string }[]).map((b) => b.id);
    expect(ids[0]).toMatch(/^toolu_[0-9a-f]{32}$/);
    expect(ids[1]).toBe('call_7');
  });
});

describe('Responses call_ids from a chat server that sends none', () => {
  const call = { index: 0, id: '', type: 'function', function: { name: 'exec_command', arguments: '{}' } };

  it('streams a function_call item with a generated call_id', () => {
    const stream = new ChatToResponsesStream('m', { model: 'm' }, 1);
    const sse =
      stream.start() +
      stream.push(Buffer.from(chunk({ tool_calls: [call] }) + chunk({}, 'tool_calls'))) +
      stream.end();
    const done = sse
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { type: string; item?: { call_id: string } })
      .find((e) => e.type === 'response.output_item.done')!;
    expect(done.item!.call_id).toMatch(/^call_[0-9a-f]{32}$/);
  });

  it('answers a non-streamed call with a generated call_id', () => {
    const answer = chatToResponse(
      { choices: [{ message: { role: 'assistant', tool_calls: [call] }, finish_reason: 'tool_calls' }] },
      'm',
      { model: 'm' },
    );
    expect((answer.output as { call_id: string }[])[0]!.call_id).toMatch(/^call_[0-9a-f]{32}$/);
  });
});

describe('several calls at one index (servers that send each call whole, all at index 0)', () => {
  const whole = (id: string, name: string) =>
    chunk({ tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '{"a":1}' } }] });
  const lines = (sse: string) =>
    sse
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as Obj);

  it('streams them as separate tool_use blocks, told apart by their ids', () => {
    const stream = new ChatToMessagesStream('m', 1);
    const sse = stream.push(
      Buffer.from(whole('c1', 'Write') + whole('c2', 'Read') + chunk({}, 'tool_calls')),
    );
    const blocks = lines(sse + stream.end())
      .filter((e) => e.type === 'content_block_start')
      .map((e) => e.content_block as { id: string; name: string });
    expect(blocks).toEqual([
      { type: 'tool_use', id: 'c1', name: 'Write', input: {} },
      { type: 'tool_use', id: 'c2', name: 'Read', input: {} },
    ]);
  });

  it('streams them as separate function_call items', () => {
    const stream = new ChatToResponsesStream('m', { model: 'm' }, 1);
    const sse =
      stream.push(Buffer.from(whole('c1', 'a') + whole('c2', 'b') + chunk({}, 'tool_calls'))) + stream.end();
    const done = lines(sse)
      .filter((e) => e.type === 'response.output_item.done')
      .map((e) => e.item as { call_id: string; name: string; arguments: string });
    expect(done.map((i) => [i.call_id, i.name, i.arguments])).toEqual([
      ['c1', 'a', '{"a":1}'],
      ['c2', 'b', '{"a":1}'],
    ]);
  });
});
