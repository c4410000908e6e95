// Walks an Express router the way Express dispatches it, so a test can check a rule for every
// route a module serves (every route declares an ability; every admin route passes the
// allowlist) and a new route cannot skip it.
import type { Router } from 'express';
import { publicReasonOf, routeAbilityOf, type RouteAbility } from '../src/access/authorize.js';
import { authScopeOf } from '../src/auth/middleware.js';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean>; stack: Layer[] };
  handle: ((...args: unknown[]) => unknown) & { stack?: Layer[] };
  slash?: boolean;
  rawPath?: unknown;
  match(path: string): boolean;
}

export interface MountedRoute {
  method: string;
  path: string;
  /** The middleware that runs before the route's own handlers, then those handlers. */
  handlers: unknown[];
}

function walk(
  stack: Layer[],
  prefix: string,
  inherited: Array<{ layer: Layer; prefix: string }>,
): MountedRoute[] {
  const out: MountedRoute[] = [];
  const before = [...inherited];
  const applies = (path: string) =>
    before
      .filter(({ layer, prefix: p }) => layer.match(path.slice(p.length) || '/'))
      .map((e) => e.layer.handle);
  for (const layer of stack) {
    if (layer.route) {
      // A route may be mounted at several paths (an array): each is a route of its own here.
      const paths = ([] as string[]).concat(layer.route.path).map((p) => prefix + p);
      for (const path of paths) {
        for (const method of Object.keys(layer.route.methods)) {
          out.push({
            method: method.toUpperCase(),
            path,
            handlers: [...applies(path), ...layer.route.stack.map((l) => l.handle)],
          });
        }
      }
    } else if (layer.handle.stack) {
      const mount = layer.slash ? '' : String(layer.rawPath);
      out.push(...walk(layer.handle.stack, prefix + mount, before));
    } else {
      before.push({ layer, prefix });
    }
  }
  return out;
}

/** Every route of a router (or an app's router), with the middleware that runs before it. */
export function routesOf(router: Router | { router: Router }): MountedRoute[] {
  const r = ('stack' in router ? router : router.router) as unknown as { stack: Layer[] };
  return walk(r.stack, '', []);
}

export type RouteDeclaration =
  { kind: 'ability'; ability: RouteAbility } | { kind: 'public'; why: string } | { kind: 'none' };

/** What a route declares: authorize()'s ability, publicRoute()'s reason, or nothing. */
export function declarationOf(route: MountedRoute): RouteDeclaration {
  for (const h of route.handlers) {
    const ability = routeAbilityOf(h);
    if (ability) return { kind: 'ability', ability };
    const why = publicReasonOf(h);
    if (why !== undefined) return { kind: 'public', why };
  }
  return { kind: 'none' };
}

/** "METHOD /path" of every route that declares neither an ability nor a public reason. */
export function undeclaredRoutes(routes: readonly MountedRoute[]): string[] {
  return routes.filter((r) => declarationOf(r).kind === 'none').map((r) => `${r.method} ${r.path}`);
}

/** "METHOD /path: why" of every public route, for pinning the list in a test. */
export function publicRoutes(routes: readonly MountedRoute[]): string[] {
  return routes.flatMap((r) => {
    const d = declarationOf(r);
    return d.kind === 'public' ? [`${r.method} ${r.path}`] : [];
  });
}

/** "METHOD /path → action Subject (scope, plane)" of every route, for pinning a service's map. */
export function abilityMap(routes: readonly MountedRoute[]): string[] {
  return routes.flatMap((r) => {
    const d = declarationOf(r);
    if (d.kind !== 'ability') return [];
    const a = d.ability;
    return [`${r.method} ${r.path} → ${a.action} ${a.subject} (${a.scope}, ${a.plane})`];
  });
}

/**
 * "METHOD /path" of every declared route whose credential middleware is missing or runs after
 * its authorize() (which would then only ever answer 401).
 */
export function unauthenticatedRoutes(routes: readonly MountedRoute[]): string[] {
  return routes
    .filter((r) => {
      const credential = r.handlers.findIndex((h) => authScopeOf(h) !== undefined);
      const ability = r.handlers.findIndex((h) => routeAbilityOf(h) !== undefined);
      return ability >= 0 && (credential < 0 || credential > ability);
    })
    .map((r) => `${r.method} ${r.path}`);
}
