// What the real-CLI suites share: a gateway on the test Postgres and Redis, the refusing
// proxy, temp dirs for the agent's home and workdir, and the gateway's audit events.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AUDIT_STREAM, eventsOfEntry } from '@airlock/common';
import { waitFor } from '@airlock/common/testing';
import type { GatewayHarness } from '../harness.js';

/** A secret the redaction detectors know (an AWS access key id in AWS's documented example form). */
export const SECRET = 'AKIAIOSFODNN7EXAMPLE';

export interface AuditedRequest {
  action: string;
  orgId: string;
  outcome: string;
  details: Record<string, unknown>;
}

/** Every ai.request event of one org, oldest first. */
export async function aiRequests(gw: GatewayHarness, orgId: string): Promise<AuditedRequest[]> {
  const redis = gw.server.runtime.redis.client;
  return (await redis.xrange(AUDIT_STREAM, '-', '+'))
    .flatMap(([, fields]) => eventsOfEntry<AuditedRequest>(fields))
    .filter((e) => e.orgId === orgId && e.action === 'ai.request');
}

/** The org's ai.request events after its first `before`, once `count` more have arrived. */
export async function aiRequestsAfter(
  gw: GatewayHarness,
  orgId: string,
  before: number,
  count: number,
): Promise<AuditedRequest[]> {
  await waitFor(async () => (await aiRequests(gw, orgId)).length >= before + count);
  return (await aiRequests(gw, orgId)).slice(before);
}

export interface AgentDirs {
  home: string;
  work: string;
  remove(): Promise<void>;
}

/** A fresh HOME (the agent's config, sessions and caches) and an empty working directory. */
export async function agentDirs(prefix: string): Promise<AgentDirs> {
  const root = await mkdtemp(path.join(tmpdir(), `airlock-${prefix}-`));
  const home = path.join(root, 'home');
  const work = path.join(root, 'work');
  await Promise.all([mkdir(home), mkdir(work)]);
  return { home, work, remove: () => rm(root, { recursive: true, force: true }) };
}

/** Proxy settings that send anything but loopback to the refusing proxy. */
export function proxyEnv(proxyUrl: string): Record<string, string> {
  return {
    HTTPS_PROXY: proxyUrl,
    HTTP_PROXY: proxyUrl,
    https_proxy: proxyUrl,
    http_proxy: proxyUrl,
    ALL_PROXY: proxyUrl,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  };
}

/**
 * Jest's limit for a CLI test and its hooks. A run takes about a second; the bound is for a
 * loaded 2-core machine, and each CLI is killed at 25 s (runCli) so a hung one fails first.
 */
export const CLI_TEST_MS = 30_000;
