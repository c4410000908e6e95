// The access explainer's last two steps and its answer's shape. Pure: the route reads the
// counters (the limit script with commit off) and the breaker states, these turn them into
// the steps the gate and the proxy would take, with the same errors.
import type { AirlockError } from '@airlock/common';
import { gatewayErrors } from '../errors.js';
import type { Candidate, Step, StepId } from './decide.js';
import { limitRefusalMessage, type LimitCheck, type LimitVerdict } from './limits.js';

/** Every step, in the order a request meets them (limits before any upstream is tried). */
export const STEP_ORDER: readonly StepId[] = [
  'role_ability',
  'model_allowed',
  'alias',
  'privacy_mode',
  'destination',
  'limits',
  'upstream_available',
];

export interface StepResult {
  step: Step;
  refusal?: AirlockError;
}

function failed(id: StepId, refusal: AirlockError, message = refusal.message): StepResult {
  return { step: { id, outcome: 'fail', message, code: refusal.code }, refusal };
}

/**
 * One limit and its current usage. The script answers usage including this request's share
 * for the checks it passed, and without it for the one that refused (later ones it never read).
 */
function limitLine(c: LimitCheck, i: number, verdict: LimitVerdict): string {
  const blockedAt = verdict.blocked ? verdict.used.length - 1 : Infinity;
  const used = verdict.used[i];
  const current =
    used === undefined || i > blockedAt ? undefined : i === blockedAt ? used : Math.max(0, used - c.amount);
  const window = c.window === 'month' ? 'month' : 'minute';
  return `${c.scope} ${c.metric}/${window} ${c.limit}${current === undefined ? '' : `, ${current} used`}`;
}

/** The limits step from the verdict the limit script gave without taking anything. */
export function limitsStep(checks: readonly LimitCheck[], verdict: LimitVerdict | 'unavailable'): StepResult {
  if (checks.length === 0)
    return { step: { id: 'limits', outcome: 'pass', message: 'no rate limits or quotas apply' } };
  if (verdict === 'unavailable') return failed('limits', gatewayErrors.limiterUnavailable());
  const lines = checks.map((c, i) => limitLine(c, i, verdict)).join('; ');
  if (verdict.allowed) return { step: { id: 'limits', outcome: 'pass', message: `within limits: ${lines}` } };
  const refusal = gatewayErrors.rateLimited(limitRefusalMessage(verdict.blocked!), {});
  return failed('limits', refusal, `${refusal.message}: ${lines}`);
}

/** The upstream the proxy would try first: the first candidate whose circuit is not open. */
export function upstreamStep(
  candidates: readonly Candidate[],
  breakerOpen: (c: Candidate) => boolean,
): StepResult & { chosen?: Candidate } {
  const chosen = candidates.find((c) => !breakerOpen(c));
  if (!chosen) {
    const name = candidates[0]?.target.name ?? '-';
    return failed(
      'upstream_available',
      gatewayErrors.unavailable(`upstream "${name}" is unavailable (circuit open)`),
    );
  }
  const fallbacks = candidates.filter((c) => c !== chosen).map((c) => c.target.name);
  return {
    chosen,
    step: {
      id: 'upstream_available',
      outcome: 'pass',
      message:
        `sent to ${chosen.target.name} as "${chosen.target.upstreamModel}"` +
        (chosen.redact ? ', redacted' : '') +
        (fallbacks.length > 0 ? `; fallbacks: ${fallbacks.join(', ')}` : ''),
    },
  };
}

/** The steps taken, then every later one as "skip": the answer always lists all seven. */
export function withSkips(steps: readonly Step[]): Step[] {
  const taken = new Set(steps.map((s) => s.id));
  return [
    ...steps,
    ...STEP_ORDER.filter((id) => !taken.has(id)).map((id) => ({
      id,
      outcome: 'skip' as const,
      message: 'not reached',
    })),
  ];
}
