// One error type for the platform. `code` is API: clients branch on it, so codes are added,
// never renamed (test/errors.test.ts pins the list). `message` is safe to show; `cause`
// stays internal. Anything that is not an exposed AirlockError becomes internal_error.

/**
 * Every error code the platform can return, with its HTTP status. Sorted. A specific code
 * keeps the status of the generic one it refines (docs/errors.md names which), so a client
 * that branched on the status alone sees no change.
 */
export const ERROR_CODES = {
  account_disabled: 403,
  already_member: 409,
  bad_request: 400,
  conflict: 409,
  cross_site_refused: 403,
  destination_refused: 403,
  email_domain_not_allowed: 403,
  forbidden: 403,
  grant_exists: 409,
  internal_error: 500,
  invalid_json: 400,
  invalid_precondition: 400,
  ip_not_allowed: 403,
  last_owner: 409,
  model_forbidden: 403,
  name_taken: 409,
  no_org: 403,
  no_owner_path: 409,
  not_found: 404,
  not_implemented: 501,
  offline_refuses_cloud: 403,
  org_suspended: 409,
  payload_too_large: 413,
  platform_admin_required: 403,
  policy_invalid: 409,
  policy_version_conflict: 409,
  precondition_required: 400,
  rate_limited: 429,
  redaction_failed: 500,
  self_change: 403,
  service_unavailable: 503,
  slug_taken: 409,
  unauthenticated: 401,
  unsupported_media_type: 415,
  upgrade_required: 426,
  upstream_error: 502,
  upstream_rate_limited: 429,
  upstream_timeout: 504,
  upstream_unavailable: 503,
  validation_failed: 400,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;

const EXPOSED_5XX: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'not_implemented',
  'redaction_failed',
  'service_unavailable',
  'upstream_error',
  'upstream_timeout',
  'upstream_unavailable',
]);

export interface AirlockErrorOptions {
  /** Internal detail for logs; never sent to the client. */
  cause?: unknown;
  /** Structured, client-safe detail (e.g. validation issues by JSON path). */
  details?: unknown;
  /** Extra response headers, e.g. Retry-After. */
  headers?: Record<string, string>;
}

export class AirlockError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;
  readonly headers?: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: AirlockErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AirlockError';
    this.code = code;
    this.status = ERROR_CODES[code];
    this.details = options.details;
    this.headers = options.headers;
  }

  /**
   * Messages below 500 are written for the client; 5xx messages may name internals, except
   * for the codes in EXPOSED_5XX, whose messages are written for the client (they name the
   * failing upstream at most, never its answer or the request's content).
   */
  get expose(): boolean {
    return this.status < 500 || EXPOSED_5XX.has(this.code);
  }
}

export function isAirlockError(e: unknown): e is AirlockError {
  return e instanceof AirlockError;
}
