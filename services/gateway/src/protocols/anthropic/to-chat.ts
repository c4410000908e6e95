// Anthropic Messages request → OpenAI chat completions request, for upstreams that speak
// only chat completions. System text (top-level and system messages), text and image blocks, tool definitions, tool_use
// turns and tool_result blocks all map; thinking blocks from earlier turns and fields a chat
// server has no equivalent for (top_k, metadata, thinking budget) are dropped, never sent raw.
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The text of a string or a list of text blocks (system prompts, tool results). */
export function plainText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return '';
  return value
    .filter((b): b is Obj => isObj(b) && b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('\n');
}

function imagePart(block: Obj): Obj | undefined {
  const source = block.source;
  if (!isObj(source)) return undefined;
  if (source.type === 'base64' && typeof source.data === 'string' && typeof source.media_type === 'string')
    return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  if (source.type === 'url' && typeof source.url === 'string')
    return { type: 'image_url', image_url: { url: source.url } };
  return undefined;
}

function userTurn(content: unknown): Obj[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  if (!Array.isArray(content)) return [];
  const out: Obj[] = [];
  const parts: Obj[] = [];
  for (const block of content) {
    if (!isObj(block)) continue;
    if (block.type === 'tool_result') {
      // Chat completions carries each tool result as its own message, before the user's text.
      const text = plainText(block.content);
      out.push({
        role: 'tool',
        tool_call_id: String(block.tool_use_id ?? ''),
        content: block.is_error === true ? `[tool error] ${text}` : text,
      });
    } else if (block.type === 'text' && typeof block.text === 'string') {
      parts.push({ type: 'text', text: block.text });
    } else if (block.type === 'image') {
      const part = imagePart(block);
      if (part) parts.push(part);
    }
  }
  if (parts.length > 0) {
    const onlyText = parts.every((p) => p.type === 'text');
    out.push({
      role: 'user',
      content: onlyText ? parts.map((p) => p.text as string).join('\n') : parts,
    });
  }
  return out;
}

function assistantTurn(content: unknown): Obj {
  if (typeof content === 'string') return { role: 'assistant', content };
  const texts: string[] = [];
  const calls: Obj[] = [];
  for (const block of Array.isArray(content) ? content : []) {
    if (!isObj(block)) continue;
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    else if (block.type === 'tool_use')
      calls.push({
        id: String(block.id ?? ''),
        type: 'function',
        function: { name: String(block.name ?? ''), arguments: JSON.stringify(block.input ?? {}) },
      });
  }
  const message: Obj = { role: 'assistant', content: texts.length > 0 ? texts.join('\n') : null };
  if (calls.length > 0) message.tool_calls = calls;
  return message;
}

function toolChoice(choice: unknown): unknown {
  if (!isObj(choice)) return undefined;
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { type: 'function', function: { name: String(choice.name ?? '') } };
    default:
      return undefined;
  }
}

export function messagesToChat(body: Obj, upstreamModel: string): Obj {
  const messages: Obj[] = [];
  const system = plainText(body.system);
  if (system) messages.push({ role: 'system', content: system });
  for (const m of Array.isArray(body.messages) ? body.messages : []) {
    if (!isObj(m)) continue;
    if (m.role === 'assistant') messages.push(assistantTurn(m.content));
    else if (m.role === 'system') {
      // Kept where it stands: chat completions takes system messages anywhere, as Messages does.
      const text = plainText(m.content);
      if (text) messages.push({ role: 'system', content: text });
    } else messages.push(...userTurn(m.content));
  }
  const chat: Obj = { model: upstreamModel, messages, max_tokens: body.max_tokens };
  if (typeof body.temperature === 'number') chat.temperature = body.temperature;
  if (typeof body.top_p === 'number') chat.top_p = body.top_p;
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0) chat.stop = body.stop_sequences;
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    chat.tools = body.tools.filter(isObj).map((t) => ({
      type: 'function',
      function: {
        name: String(t.name ?? ''),
        ...(typeof t.description === 'string' ? { description: t.description } : {}),
        parameters: isObj(t.input_schema) ? t.input_schema : { type: 'object' },
      },
    }));
    const choice = toolChoice(body.tool_choice);
    if (choice !== undefined) chat.tool_choice = choice;
  }
  if (body.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true }; // usage is metered from the last chunk
  }
  return chat;
}
