// The calling tool, named from its User-Agent for the audit record (never the full string's
// free text beyond what the audit event already keeps). First match wins; most specific first.
const TOOLS: readonly [RegExp, string][] = [
  [/^claude-cli\/|claude-code/i, 'claude-code'],
  [/^codex/i, 'codex'],
  [/continue/i, 'continue'],
  [/^Anthropic\/JS|anthropic-sdk|^Anthropic\/Python/i, 'anthropic-sdk'],
  [/^OpenAI\/JS|^OpenAI\/Python|openai-sdk/i, 'openai-sdk'],
  [/^curl\//i, 'curl'],
  [/^python-requests|^python-httpx|^aiohttp/i, 'python'],
  [/^node(-fetch)?\b|^undici/i, 'node'],
];

function match(userAgent: string): string {
  for (const [pattern, name] of TOOLS) if (pattern.test(userAgent)) return name;
  return 'other';
}

// A gateway sees the same few User-Agents over and over: each is matched once. The cache is
// capped (a caller can send any string); when full it starts over, so a burst of odd strings
// cannot keep the real tools out of it for good.
const CACHE_CAP = 256;
const known = new Map<string, string>();

export function clientToolOf(userAgent: string | undefined): string | undefined {
  if (!userAgent) return undefined;
  let name = known.get(userAgent);
  if (name === undefined) {
    name = match(userAgent);
    if (userAgent.length <= 512) {
      if (known.size >= CACHE_CAP) known.clear();
      known.set(userAgent, name);
    }
  }
  return name;
}
