// OpenAI Responses request → chat completions request, for upstreams without a native
// Responses API. Instructions, messages (input_text / output_text / input_image parts),
// function_call and function_call_output items and function tools all map; custom
// (freeform) tools and their calls map as functions taking one string (custom-tools.ts).
// Reasoning items and built-in tools (web_search, file_search, tool_search, namespaces) have
// no chat equivalent and are dropped; server-side state (previous_response_id) is refused by
// the route before this runs.
import { customToolAsFunction } from './custom-tools.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function parts(content: unknown): { text: string; parts: Obj[] } {
  if (typeof content === 'string') return { text: content, parts: [{ type: 'text', text: content }] };
  const out: Obj[] = [];
  for (const p of Array.isArray(content) ? content : []) {
    if (!isObj(p)) continue;
    if (
      (p.type === 'input_text' || p.type === 'output_text' || p.type === 'text') &&
      typeof p.text === 'string'
    )
      out.push({ type: 'text', text: p.text });
    else if (p.type === 'input_image' && typeof p.image_url === 'string')
      out.push({ type: 'image_url', image_url: { url: p.image_url } });
  }
  return {
    text: out
      .filter((p) => p.type === 'text')
      .map((p) => p.text as string)
      .join('\n'),
    parts: out,
  };
}

function messages(input: unknown, instructions: unknown): Obj[] {
  const out: Obj[] = [];
  if (typeof instructions === 'string' && instructions) out.push({ role: 'system', content: instructions });
  if (typeof input === 'string') {
    out.push({ role: 'user', content: input });
    return out;
  }
  for (const item of Array.isArray(input) ? input : []) {
    if (!isObj(item)) continue;
    const type = item.type ?? 'message';
    if (type === 'message') {
      const role = item.role === 'developer' || item.role === 'system' ? 'system' : item.role;
      const { text, parts: list } = parts(item.content);
      if (role === 'user' && list.some((p) => p.type !== 'text')) out.push({ role, content: list });
      else out.push({ role, content: text });
    } else if (type === 'function_call' || type === 'custom_tool_call') {
      const args =
        type === 'function_call'
          ? String(item.arguments ?? '')
          : JSON.stringify({ input: String(item.input ?? '') });
      const call = {
        id: String(item.call_id ?? ''),
        type: 'function',
        function: { name: String(item.name ?? ''), arguments: args },
      };
      // One chat assistant turn is one Responses message item followed by its call items
      // (a preamble, then the calls): put them back together, calls after the text.
      const last = out.at(-1);
      if (last?.role === 'assistant' && Array.isArray(last.tool_calls)) (last.tool_calls as Obj[]).push(call);
      else if (last?.role === 'assistant' && typeof last.content === 'string') last.tool_calls = [call];
      else out.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      const output = item.output;
      out.push({
        role: 'tool',
        tool_call_id: String(item.call_id ?? ''),
        content: typeof output === 'string' ? output : parts(output).text,
      });
    }
  }
  return mergeLeadingSystem(out);
}

/**
 * Codex sends its instructions as several developer messages before the first user turn;
 * many chat templates take one system message, first. The leading ones become one.
 */
function mergeLeadingSystem(messages: Obj[]): Obj[] {
  let n = 0;
  while (messages[n]?.role === 'system') n++;
  if (n < 2) return messages;
  const text = messages
    .slice(0, n)
    .map((m) => String(m.content ?? ''))
    .join('\n\n');
  return [{ role: 'system', content: text }, ...messages.slice(n)];
}

function toolChoice(choice: unknown): unknown {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (
    isObj(choice) &&
    (choice.type === 'function' || choice.type === 'custom') &&
    typeof choice.name === 'string'
  )
    return { type: 'function', function: { name: choice.name } };
  return undefined;
}

export function responsesToChat(body: Obj, upstreamModel: string): Obj {
  const chat: Obj = { model: upstreamModel, messages: messages(body.input, body.instructions) };
  if (typeof body.max_output_tokens === 'number') chat.max_tokens = body.max_output_tokens;
  if (typeof body.temperature === 'number') chat.temperature = body.temperature;
  if (typeof body.top_p === 'number') chat.top_p = body.top_p;
  const tools = (Array.isArray(body.tools) ? body.tools : []).filter(
    (t): t is Obj => isObj(t) && (t.type === 'function' || t.type === 'custom'),
  );
  if (tools.length > 0) {
    chat.tools = tools.map((t) =>
      t.type === 'custom'
        ? customToolAsFunction(t)
        : {
            type: 'function',
            function: {
              name: String(t.name ?? ''),
              ...(typeof t.description === 'string' ? { description: t.description } : {}),
              parameters: isObj(t.parameters) ? t.parameters : { type: 'object' },
            },
          },
    );
    const choice = toolChoice(body.tool_choice);
    if (choice !== undefined) chat.tool_choice = choice;
    if (typeof body.parallel_tool_calls === 'boolean') chat.parallel_tool_calls = body.parallel_tool_calls;
  }
  if (body.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return chat;
}
