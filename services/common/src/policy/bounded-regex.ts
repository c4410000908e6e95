// Admin-written regular expressions (custom redaction patterns) run against every string of
// every prompt. JavaScript's backtracking engine can take exponential time on patterns such
// as (a|aa)+b and would stall the event loop for every tenant, so these patterns are
// compiled by re2js, a pure-JS port of RE2: matching is linear in the text, whatever the
// pattern. RE2 syntax has no lookaround or backreferences; such a pattern does not compile
// and is refused when the policy is written (validation_failed).
import { RE2JS } from 're2js';

export interface BoundedPattern {
  readonly name: string;
  /** [index, length] (UTF-16 units) of every non-empty match, left to right. */
  matches(text: string): [number, number][];
}

/** Compiles `source` with RE2; throws a SyntaxError (with RE2's reason) when it cannot. */
export function compileLinear(source: string): RE2JS {
  try {
    return RE2JS.compile(source);
  } catch (e) {
    throw new SyntaxError((e as Error).message, { cause: e });
  }
}

/** A custom pattern whose matching time is linear in the text (RE2 semantics). */
export function boundedPattern(name: string, source: string): BoundedPattern {
  const re = compileLinear(source);
  return {
    name,
    matches(text) {
      const found: [number, number][] = [];
      const m = re.matcher(text);
      while (m.find()) {
        const start = m.start();
        const end = m.end();
        if (end > start) found.push([start, end - start]);
      }
      return found;
    },
  };
}
