// Responses "custom" tools (freeform: the model writes raw text, optionally to a grammar;
// Codex's apply_patch is one) have no chat completions equivalent. A chat upstream gets each
// as a function taking one string, "input", with the grammar in its description; the call
// comes back to the client as the custom_tool_call item it asked for, and earlier calls and
// outputs in the conversation go to the upstream as ordinary tool calls and tool messages.
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The names of the request's custom tools. */
export function customToolNames(request: Obj): ReadonlySet<string> {
  const names = new Set<string>();
  for (const t of Array.isArray(request.tools) ? request.tools : [])
    if (isObj(t) && t.type === 'custom' && typeof t.name === 'string') names.add(t.name);
  return names;
}

/** A custom tool as a chat function with a single string parameter. */
export function customToolAsFunction(tool: Obj): Obj {
  const format = isObj(tool.format) ? tool.format : undefined;
  const grammar =
    format?.type === 'grammar' && typeof format.definition === 'string'
      ? `\n\nThe input must follow this ${typeof format.syntax === 'string' ? format.syntax : ''} grammar:\n${format.definition}`
      : '';
  return {
    type: 'function',
    function: {
      name: String(tool.name ?? ''),
      description: `${typeof tool.description === 'string' ? tool.description : ''}${grammar}`,
      parameters: {
        type: 'object',
        properties: { input: { type: 'string', description: 'the raw input, as text' } },
        required: ['input'],
        additionalProperties: false,
      },
    },
  };
}

/** The freeform input from a chat call's arguments ({"input": "…"}); raw text if they are not that JSON. */
export function customInput(args: string): string {
  try {
    const parsed = JSON.parse(args) as unknown;
    if (isObj(parsed) && typeof parsed.input === 'string') return parsed.input;
  } catch {
    // a model that wrote the input itself instead of JSON: keep it as is
  }
  return args;
}

export const customToolCallItem = (
  id: string,
  callId: string,
  name: string,
  input: string,
  status = 'completed',
): Obj => ({ type: 'custom_tool_call', id, call_id: callId, name, input, status });
