// The trial's local models: when an Ollama answers at AIRLOCK_DEMO_OLLAMA_URL (default
// http://127.0.0.1:11434) at start-up, the demo org offers its installed models next to the
// demo model. Asked once, briefly, so a missing Ollama costs `npm start` at most PROBE_MS and
// leaves nothing behind (no upstream that would only answer 503).

/** How long start-up waits for Ollama to answer. */
export const PROBE_MS = 1500;

/** At most this many models are offered (a policy lists them by name). */
const MAX_MODELS = 100;

/** Model names the policy accepts (common/policy/schema.ts modelGlob), globs excluded. */
const MODEL_NAME = /^[A-Za-z0-9._:/@-]{1,128}$/;

/**
 * The names of the models a local Ollama has installed (GET /api/tags), or null when nothing
 * answers there, it answers with something else, or it has no models.
 */
export async function probeOllama(
  baseUrl: string,
  fetchImpl: typeof fetch = fetch,
  timeoutMs = PROBE_MS,
): Promise<string[] | null> {
  try {
    const res = await fetchImpl(new URL('/api/tags', baseUrl), {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    if (!res.ok) return null;
    const body = (await res.json()) as { models?: unknown };
    if (!Array.isArray(body.models)) return null;
    const names = body.models
      .map((m) => (m as { name?: unknown } | null)?.name)
      .filter((n): n is string => typeof n === 'string' && MODEL_NAME.test(n));
    const unique = [...new Set(names)].sort().slice(0, MAX_MODELS);
    return unique.length > 0 ? unique : null;
  } catch {
    return null; // refused, timed out, not JSON: no Ollama here
  }
}
