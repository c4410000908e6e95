// The module registry and the targets built from it (grafana/mimir's modules.go). A target
// is a named set of modules; `all` is their union, not a second implementation.
import { auditModule } from '@airlock/audit';
import type { AirlockModule } from '@airlock/common';
import { gatewayModule } from '@airlock/gateway';
import { identityModule } from '@airlock/identity';
import { rbacModule } from '@airlock/rbac';

/** In start order: a module comes after those it calls. */
export const MODULES: readonly AirlockModule[] = [rbacModule, identityModule, gatewayModule, auditModule];

export const TARGETS = ['all', 'audit', 'gateway', 'identity', 'rbac'] as const;
export type Target = (typeof TARGETS)[number];

export function isTarget(value: string): value is Target {
  return (TARGETS as readonly string[]).includes(value);
}

export function modulesFor(target: Target): AirlockModule[] {
  return MODULES.filter((m) => target === 'all' || m.name === target);
}
