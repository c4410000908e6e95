// Editing helpers for the policy draft: immutable set-by-path, list<->text, and the problems
// the API named (JSON paths like $.policy.limits.perRole.member) keyed by editor field.
import { fieldPath } from '../../api/client';

export type Path = readonly (string | number)[];

export function setIn<T>(doc: T, path: Path, value: unknown): T {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let at: Record<string | number, unknown> = copy;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      if (value === undefined) delete at[key];
      else at[key] = value;
    } else {
      const next = at[key];
      at[key] = next && typeof next === 'object' ? next : typeof path[i + 1] === 'number' ? [] : {};
      at = at[key] as Record<string | number, unknown>;
    }
  }
  return copy as T;
}

export function getIn(doc: unknown, path: Path): unknown {
  return path.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
    doc,
  );
}

/** One entry a line (commas work too); blank lines dropped. */
export const lines = (text: string): string[] =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);

/** Empty: unset. A number: the number. Anything else is sent as typed, for the API to name. */
export function numberOrRaw(text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

export interface Problem {
  path: string;
  message: string;
}

/** Problems by field key ("limits.perRole.member.requestsPerMinute", "upstreams.0.baseUrl"). */
export class Problems {
  constructor(readonly list: Problem[] = []) {}
  /** The messages at this field or below it (a list field shows its items' problems). */
  at(...path: Path): string | undefined {
    const key = path.join('.');
    const found = this.list.filter((p) => {
      const f = fieldPath(p.path);
      return f === key || f.startsWith(key + '.');
    });
    return found.length ? found.map((p) => p.message).join('; ') : undefined;
  }
}

/** A line diff of two JSON documents (LCS; policies are small). */
export function diffLines(a: string, b: string): { kind: ' ' | '-' | '+'; text: string }[] {
  const x = a.split('\n');
  const y = b.split('\n');
  const dp: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--)
    for (let j = y.length - 1; j >= 0; j--)
      dp[i]![j] = x[i] === y[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  const out: { kind: ' ' | '-' | '+'; text: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) {
      out.push({ kind: ' ', text: x[i]! });
      i++;
      j++;
    } else if (dp[i + 1]![j]! >= dp[i]![j + 1]!) out.push({ kind: '-', text: x[i++]! });
    else out.push({ kind: '+', text: y[j++]! });
  }
  while (i < x.length) out.push({ kind: '-', text: x[i++]! });
  while (j < y.length) out.push({ kind: '+', text: y[j++]! });
  return out;
}
