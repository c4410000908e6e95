// Admin-written regular expressions (custom redaction patterns) run against every prompt.
// JavaScript's backtracking engine can take exponential time on patterns such as (a|aa)+b,
// which would stall the event loop for every tenant. Matching runs in a V8 context with a
// time limit instead: on timeout the caller refuses the request (redaction fails closed).
import vm from 'node:vm';

export class PatternTimeoutError extends Error {
  constructor(readonly patternName: string) {
    super(`pattern ${patternName} exceeded its time limit`);
    this.name = 'PatternTimeoutError';
  }
}

export interface BoundedPattern {
  readonly name: string;
  /** [index, length] of every non-empty match, or PatternTimeoutError past the limit. */
  matches(text: string): [number, number][];
}

const context = vm.createContext(Object.create(null));
const script = new vm.Script(`(() => {
  const found = [];
  for (const m of text.matchAll(re)) if (m[0].length > 0) found.push([m.index, m[0].length]);
  return JSON.stringify(found);
})()`);

/** Compiles `source` (throws SyntaxError when invalid); matching is bounded by timeoutMs. */
export function boundedPattern(name: string, source: string, timeoutMs = 50): BoundedPattern {
  new RegExp(source, 'g'); // fail at compile time, in this realm, with the real error
  return {
    name,
    matches(text) {
      context.re = vm.runInContext(`new RegExp(${JSON.stringify(source)}, 'g')`, context);
      context.text = text;
      try {
        // A JSON string crosses realms without leaking objects of the other context.
        return JSON.parse(script.runInContext(context, { timeout: timeoutMs }) as string) as [
          number,
          number,
        ][];
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT')
          throw new PatternTimeoutError(name);
        throw e;
      } finally {
        context.text = undefined;
      }
    },
  };
}
