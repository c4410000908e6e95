// Replaces secrets and PII in every string a request sends upstream (whatever the field, in
// whatever API) with typed placeholders such as [REDACTED:email]. Returns counts by type, never the values. Any
// error (a broken custom pattern included) throws: the caller refuses the request.
import { boundedPattern, type Policy } from '@airlock/common';
import { DETECTORS, type Detector } from './detectors.js';

export interface RedactionResult {
  body: Record<string, unknown>;
  counts: Record<string, number>;
}

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
      // RE2 semantics, linear time: a pattern like (a|aa)+b cannot stall the event loop.
      // The policy schema already refuses what RE2 cannot compile; should one get here, this
      // throws and the request is refused, never sent unredacted.
      const bounded = boundedPattern(custom.name, custom.pattern);
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

/** Deeper bodies are refused before anything is scanned (and before recursion could overflow). */
export const MAX_BODY_DEPTH = 64;

// Zero-width characters and the soft hyphen split a secret invisibly; removing them before
// matching is what makes "4111\u200b1111…" a card number again.
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u2060-\u2064\uFEFF]/g;
// Unicode whitespace other than the ASCII controls (NBSP, thin space, ideographic space…)
// becomes a plain space, so every detector's " " separator also matches it.
const EXOTIC_SPACE = /[^\S\t\n\v\f\r ]/g;

/** The form of a string that is both scanned and forwarded: NFKC, no invisibles, plain spaces. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').replace(INVISIBLE, '').replace(EXOTIC_SPACE, ' ');
}

function redactValue(value: unknown, walk: Walk, depth: number): unknown {
  if (typeof value === 'string') return walk(value);
  if (typeof value === 'number') {
    // A card number sent as a JSON number is still a card number.
    const text = String(value);
    const out = walk(text);
    return out === text ? value : out;
  }
  if (!value || typeof value !== 'object') return value;
  if (depth >= MAX_BODY_DEPTH) throw new BodyTooDeepError();
  if (Array.isArray(value)) return value.map((v) => redactValue(v, walk, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    // Keys travel too (metadata, schema property names): they are scanned like values.
    out[walk(key)] = redactValue(v, walk, depth + 1);
  }
  return out;
}

export class BodyTooDeepError extends Error {
  constructor() {
    super(`the body is nested more than ${MAX_BODY_DEPTH} levels deep`);
  }
}

/**
 * redactBody(body, settings) → { body, counts }: the one redaction entry point for every
 * API the gateway serves (chat completions, completions, embeddings, Messages, Responses).
 * It is API-agnostic on purpose: every string (and number, and object key) anywhere in the
 * body is normalised (normalizeText) and scanned, and the returned body is made of exactly
 * those scanned strings, so nothing reaches the upstream that the detectors did not see.
 * `model` is kept as sent (the proxy overwrites it with the upstream's model name).
 * The input is not modified; counts are by detector type, never values. Throws on a
 * detector failure or a body deeper than MAX_BODY_DEPTH: the caller refuses the request.
 */
export function redactBody(body: Record<string, unknown>, settings: Policy['redaction']): RedactionResult {
  const detectors = detectorsFor(settings);
  const counts: Record<string, number> = {};
  const walk: Walk = (text) => redactText(normalizeText(text), detectors, counts);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    out[key === 'model' ? key : walk(key)] = key === 'model' ? value : redactValue(value, walk, 1);
  }
  return { body: out, counts };
}
