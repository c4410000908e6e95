// Shapes of the API answers the console reads (see the routes in services/*/src/routes).
export type Role = 'owner' | 'admin' | 'member' | 'viewer';
export const ROLES: readonly Role[] = ['owner', 'admin', 'member', 'viewer'];

export interface Me {
  user: { id: string; email: string; name: string | null };
  org: { id: string; slug: string; name: string } | null;
  role: Role | null;
  isPlatformAdmin: boolean;
  credential: string;
  session: { id: string; idleExpiresAt: string; absoluteExpiresAt: string } | null;
}

export interface Token {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  previousValidUntil: string | null;
}

export interface Member {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  createdAt: string;
}

export interface UsageRow {
  key: string;
  label: string;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
}

export interface UsageStats {
  window: '24h' | '7d' | '30d';
  from: string;
  to: string;
  scope: 'org' | 'self';
  totals: { requests: number; errors: number; promptTokens: number; completionTokens: number };
  byPerson: UsageRow[];
  byModel: UsageRow[];
  byUpstream: UsageRow[];
  byClientTool: UsageRow[];
  series: { t: string; requests: number; errors: number }[];
}

export interface ExplainStep {
  id: string;
  outcome: 'pass' | 'fail' | 'skip';
  message: string;
  code?: string;
}

export interface Explanation {
  allowed: boolean;
  model: string;
  resolvedModel: string;
  role: Role;
  upstream: { name: string; kind: string; cloud: boolean } | null;
  steps: ExplainStep[];
  code?: string;
}

export interface Limit {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}
export interface Quota {
  requests?: number;
  tokens?: number;
}

export interface Upstream {
  name: string;
  baseUrl: string;
  kind: 'onprem' | 'cloud';
  provider: 'openai-compatible' | 'vllm' | 'ollama' | 'tgi' | 'llamacpp' | 'openai';
  apiKeySet?: boolean;
  /** Write-only: sent when typed, never read back. */
  apiKey?: string;
  timeoutMs: number;
  connectTimeoutMs: number;
  models: string[];
  aliases: Record<string, string>;
}

export interface PolicyDoc {
  privacyMode: 'normal' | 'sensitive' | 'offline';
  models: { allow: Partial<Record<Role, string[]>>; default?: string };
  upstreams: Upstream[];
  platformUpstreams: string[];
  limits: {
    perRole: Partial<Record<Role, Limit>>;
    perUser?: Limit;
    perOrg?: Limit;
    monthlyQuota: { perUser?: Quota; perOrg?: Quota };
  };
  redaction: {
    cloud: boolean;
    onprem: boolean;
    detectors: string[];
    customPatterns: { name: string; pattern: string }[];
  };
  responseCache: { enabled: boolean; ttlSeconds: number };
  admin: { ipAllowlist: string[] };
  sessions: { idleMinutes: number; absoluteHours: number };
  audit: { retentionDays: number };
  [extra: string]: unknown;
}

export interface PolicyView {
  version: number;
  createdAt: string | null;
  createdBy: string | null;
  comment: string | null;
  policy: PolicyDoc;
}

export interface PolicyVersion {
  version: number;
  createdAt: string;
  createdBy: string | null;
  comment: string | null;
}

export interface AuditEvent {
  id: string;
  seq: string | number;
  time: string;
  actor: { type: string; id: string | null; email: string | null };
  action: string;
  target: { type: string; id: string } | null;
  outcome: string;
  clientIp: string | null;
  details: Record<string, unknown>;
}

export interface SsoConnection {
  id: string;
  protocol: 'oidc' | 'saml';
  name: string;
  enabled: boolean;
  config: Record<string, unknown>;
  hasSecret: boolean;
  groupRoleMap: Record<string, Role>;
  defaultRole: Role;
  createdAt: string;
}

export interface ScimToken {
  id: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface Org {
  id: string;
  slug: string;
  name: string;
  status: string;
  createdAt: string;
}

export interface PendingOwner {
  id: string;
  email: string;
  expiresAt: string;
}
