/**
 * The API client: `fetch` against the base the shell names (`<meta name="btree-plugins-api">`),
 * same-origin credentials (the host's cookie), JSON bodies, and the CSRF token from `/session` on
 * every write. Failures become {@link ApiRequestError} carrying the API's code, message, hint and
 * compile diagnostics, which the banner and the upload page show as they are.
 *
 * @module
 */
import type { Diagnostic, ErrorBody } from './types.js';

/** A request that failed: the API's error, or a network failure (`code: 'NETWORK'`). */
export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
  /** The HTTP status, 0 for a network failure. */
  readonly status: number;
  /** The API's code (`COMPILE_FAILED`, `FORBIDDEN`, …), `NETWORK` or `BAD_RESPONSE`. */
  readonly code: string;
  readonly hint: string | undefined;
  /** With `COMPILE_FAILED`: every problem of the upload. */
  readonly diagnostics: readonly Diagnostic[];
  readonly requestId: string | undefined;

  constructor(status: number, body: ErrorBody['error']) {
    super(body.message);
    this.status = status;
    this.code = body.code;
    this.hint = body.hint;
    this.diagnostics = body.diagnostics ?? [];
    this.requestId = body.requestId;
  }
}

/** True for the API's error shape. */
function isErrorBody(value: unknown): value is ErrorBody {
  const error = (value as ErrorBody | null)?.error;
  return typeof error === 'object' && error !== null && typeof error.code === 'string' && typeof error.message === 'string';
}

/** Query parameters; `undefined` and empty strings are left out. */
export type Query = Record<string, string | number | undefined>;

/** The client of one API base. */
export class ApiClient {
  /** The CSRF token sent as `X-CSRF-Token` on every write (set from `/session`). */
  csrfToken: string | undefined;
  /** Called when an answer is 401 (the session ended): the app shows the sign-in message. */
  onUnauthenticated: ((error: ApiRequestError) => void) | undefined;

  /** @param base the API prefix, e.g. `/api` (`""` when the API has none). */
  constructor(readonly base: string) {}

  /** `GET base + path?query`. */
  get<T>(path: string, query: Query = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
    const search = params.toString();
    return this.request<T>('GET', search ? `${path}?${search}` : path);
  }

  /** `POST base + path` with a JSON body (none when `body` is undefined) and the CSRF token. */
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.csrfToken !== undefined) headers['x-csrf-token'] = this.csrfToken;
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers,
        credentials: 'same-origin',
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e) {
      throw new ApiRequestError(0, { code: 'NETWORK', message: `The server could not be reached (${(e as Error).message}).`, hint: 'check your connection and try again' });
    }
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch {
      parsed = undefined;
    }
    if (response.ok) {
      if (parsed === undefined) throw new ApiRequestError(response.status, { code: 'BAD_RESPONSE', message: `The server answered ${method} ${path} with something that is not JSON.` });
      return parsed as T;
    }
    const error = new ApiRequestError(
      response.status,
      isErrorBody(parsed) ? parsed.error : { code: 'HTTP_' + response.status, message: `The server answered ${response.status} ${response.statusText}.` },
    );
    if (response.status === 401) this.onUnauthenticated?.(error);
    throw error;
  }
}

/** A path segment, encoded (`Greeter@1.0.0` → `Greeter%401.0.0`). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
