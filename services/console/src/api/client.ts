// One fetch wrapper for the whole console: same-origin cookies, JSON in and out, and the
// API's error envelope turned into an ApiError the screens can explain. Writes are ordinary
// same-origin fetches, so the browser sends the Origin header the API checks.

export interface ErrorDetails {
  problems?: { path: string; message: string }[];
  currentVersion?: number;
  [key: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetails | undefined,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Sent<T> {
  body: T;
  etag: string | null;
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  headers?: Record<string, string>;
}

async function toError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as {
      error?: { code?: string; message?: string; details?: ErrorDetails; requestId?: string };
    };
    if (parsed.error?.code) {
      return new ApiError(
        res.status,
        parsed.error.code,
        parsed.error.message ?? res.statusText,
        parsed.error.details,
        parsed.error.requestId,
      );
    }
  } catch {
    // Not JSON: a proxy's page or an empty body; described by the status below.
  }
  return new ApiError(
    res.status,
    'http_' + res.status,
    `The server answered ${res.status}.`,
    undefined,
    undefined,
  );
}

export async function send<T>(path: string, options: RequestOptions = {}): Promise<Sent<T>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: options.method ?? 'GET',
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
  } catch {
    throw new ApiError(
      0,
      'network_error',
      'The server could not be reached. Check your connection.',
      undefined,
      undefined,
    );
  }
  if (!res.ok) throw await toError(res);
  const text = await res.text();
  return { body: (text ? JSON.parse(text) : null) as T, etag: res.headers.get('etag') };
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  return (await send<T>(path, options)).body;
}

/** Raw text (exports): same credentials and error handling, no JSON parsing. */
export async function apiText(path: string): Promise<string> {
  const res = await fetch(path, { credentials: 'same-origin' }).catch(() => {
    throw new ApiError(0, 'network_error', 'The server could not be reached.', undefined, undefined);
  });
  if (!res.ok) throw await toError(res);
  return res.text();
}

/** "$.policy.limits.perRole.member" -> "limits.perRole.member" (the editor's field keys). */
export function fieldPath(path: string): string {
  return path
    .replace(/^\$\.?/, '')
    .replace(/^policy\.?/, '')
    .replace(/\[(\d+)\]/g, '.$1');
}
