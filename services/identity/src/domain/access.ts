// One place where identity asks the shared CASL ability a question.
import { defineAbilityFor, subject, type Action, type Principal, type SubjectName } from '@airlock/common';

/**
 * May `p` do `action` on a `type` object with these fields? (common's subject() returns a
 * type CASL's `can` signature does not accept as-is, hence the cast in this one spot.)
 */
export function may(
  p: Principal,
  action: Action,
  type: Exclude<SubjectName, 'all'>,
  fields: Record<string, unknown>,
): boolean {
  const tagged = subject(type, fields) as unknown as Record<string, unknown>;
  return defineAbilityFor(p).can(action, tagged);
}
