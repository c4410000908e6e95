// Replaces secrets and PII in every text field a request sends upstream (chat messages and
// their parts, tool call arguments, completion prompts, embedding inputs) with typed
// placeholders such as [REDACTED:email]. Returns counts by type, never the values. Any
// error (a broken custom pattern included) throws: the caller refuses the request.
import { boundedPattern, type Policy } from '@airlock/common';
import { DETECTORS, type Detector } from './detectors.js';

export interface RedactionResult {
  body: Record<string, unknown>;
  counts: Record<string, number>;
}

const CUSTOM_PATTERN_TIMEOUT_MS = 50;
const NEVER = /(?!)/g;

function replaceRanges(
  text: string,
  ranges: readonly [number, number][],
  placeholder: string,
  counts: Record<string, number>,
  type: string,
): string {
  if (ranges.length === 0) return text;
  let out = '';
  let at = 0;
  for (const [index, length] of ranges) {
    out += text.slice(at, index) + placeholder;
    at = index + length;
  }
  counts[type] = (counts[type] ?? 0) + ranges.length;
  return out + text.slice(at);
}

/** Custom patterns are compiled once per policy object. */
const compiled = new WeakMap<Policy['redaction'], Detector[]>();

export function detectorsFor(settings: Policy['redaction']): Detector[] {
  let list = compiled.get(settings);
  if (!list) {
    const groups = new Set(settings.detectors);
    list = DETECTORS.filter((d) => groups.has(d.group));
    for (const custom of settings.customPatterns) {
      // Throws on an invalid pattern, and matching throws past its time limit (a pattern
      // like (a|aa)+b would otherwise stall every tenant's requests): fail closed either way.
      const bounded = boundedPattern(custom.name, custom.pattern, CUSTOM_PATTERN_TIMEOUT_MS);
      list.push({ type: custom.name, group: 'secrets', pattern: NEVER, bounded });
    }
    compiled.set(settings, list);
  }
  return list;
}

export function redactText(
  text: string,
  detectors: readonly Detector[],
  counts: Record<string, number>,
): string {
  let out = text;
  for (const d of detectors) {
    if (d.bounded) {
      out = replaceRanges(out, d.bounded.matches(out), `[REDACTED:${d.type}]`, counts, d.type);
      continue;
    }
    d.pattern.lastIndex = 0;
    out = out.replace(d.pattern, (match: string, ...rest: unknown[]) => {
      if (match.length === 0) return match;
      const groups = rest.filter((r): r is string => typeof r === 'string').slice(0, -1);
      if (d.accept && !d.accept(match, groups)) return match;
      counts[d.type] = (counts[d.type] ?? 0) + 1;
      const placeholder = `[REDACTED:${d.type}]`;
      return d.replace ? d.replace(match, placeholder, groups) : placeholder;
    });
  }
  return out;
}

type Walk = (text: string) => string;

function redactContent(content: unknown, walk: Walk): unknown {
  if (typeof content === 'string') return walk(content);
  if (Array.isArray(content)) {
    return content.map((part) => {
      if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') {
        return { ...part, text: walk((part as { text: string }).text) };
      }
      return part;
    });
  }
  return content;
}

function redactMessage(message: unknown, walk: Walk): unknown {
  if (!message || typeof message !== 'object') return message;
  const m = { ...(message as Record<string, unknown>) };
  if ('content' in m) m.content = redactContent(m.content, walk);
  if (Array.isArray(m.tool_calls)) {
    m.tool_calls = m.tool_calls.map((call: unknown) => {
      const fn = (call as { function?: { arguments?: unknown } })?.function;
      if (!fn || typeof fn.arguments !== 'string') return call;
      return { ...(call as object), function: { ...fn, arguments: walk(fn.arguments) } };
    });
  }
  return m;
}

/** Redacts a request body for one endpoint; the input object is not modified. */
export function redactBody(body: Record<string, unknown>, settings: Policy['redaction']): RedactionResult {
  const detectors = detectorsFor(settings);
  const counts: Record<string, number> = {};
  const walk: Walk = (text) => redactText(text, detectors, counts);
  const out = { ...body };
  if (Array.isArray(out.messages)) out.messages = out.messages.map((m) => redactMessage(m, walk));
  for (const field of ['prompt', 'input', 'suffix'] as const) {
    const v = out[field];
    if (typeof v === 'string') out[field] = walk(v);
    else if (Array.isArray(v)) out[field] = v.map((x) => (typeof x === 'string' ? walk(x) : x));
  }
  return { body: out, counts };
}
