// Model aliases: the names coding agents send (claude-sonnet-4-5, opus, gpt-5.5…) mapped by
// the org policy to models it runs. One rule for every reader (the gateway resolves with
// it; rbac shows it): an exact name beats any pattern, a longer pattern beats a shorter one,
// and equal lengths go to the pattern with fewer wildcards, then to the smaller string, so
// the answer never depends on key order (Postgres jsonb does not keep it).

/** Does a model glob ("claude-*", "gpt-5*", "*-mini") match the whole name? Linear, no regex. */
export function globMatches(glob: string, name: string): boolean {
  const pieces = glob.split('*');
  if (pieces.length === 1) return glob === name;
  const first = pieces[0]!;
  const last = pieces.at(-1)!;
  if (!name.startsWith(first) || name.length < first.length + last.length) return false;
  let at = first.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = name.indexOf(piece, at);
    if (found < 0 || found + piece.length > name.length - last.length) return false;
    at = found + piece.length;
  }
  return name.endsWith(last);
}

const wildcards = (glob: string): number => glob.split('*').length - 1;

/** Orders matching patterns: most specific first. */
function moreSpecific(a: string, b: string): number {
  return b.length - a.length || wildcards(a) - wildcards(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The model an alias table sends `requested` to, or undefined when no alias applies. */
export function resolveModelAlias(
  aliases: Readonly<Record<string, string>>,
  requested: string,
): string | undefined {
  if (Object.hasOwn(aliases, requested)) return aliases[requested];
  let best: string | undefined;
  for (const pattern of Object.keys(aliases)) {
    if (!pattern.includes('*') || !globMatches(pattern, requested)) continue;
    if (best === undefined || moreSpecific(pattern, best) < 0) best = pattern;
  }
  return best === undefined ? undefined : aliases[best];
}
