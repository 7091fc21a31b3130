/**
 * The one error shape of the HTTP API, `{ error: { code, message, hint?, diagnostics?, requestId? } }`,
 * and the mapping of every error a route can meet (the library's, Fastify's, the rate limiter's,
 * anything else) onto it. Server-side failures are answered with a generic message and a request
 * id; their details go to the log only. No stack trace or host path reaches a response.
 *
 * @module
 */
import { homedir, tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BtreePluginsError, isBtreePluginsError, type BtreePluginsErrorOptions, type CompileDiagnostic } from '../errors.js';

/** An error the API answers with a chosen HTTP status (401, 403, 404, 414, 429, …). */
export class ApiError extends BtreePluginsError {
  /** The HTTP status of the answer. */
  readonly statusCode: number;
  constructor(statusCode: number, code: string, summary: string, detail: string, options?: BtreePluginsErrorOptions) {
    super(code, summary, detail, options);
    this.statusCode = statusCode;
  }
}

/** One compile diagnostic as the API sends it: the library's {@link CompileDiagnostic} fields. */
export type ApiDiagnostic = CompileDiagnostic;

/** The body of every error answer. */
export interface ApiErrorBody {
  error: {
    /** Stable, machine-readable (`NOT_FOUND`, `COMPILE_FAILED`, `RATE_LIMITED`, …; docs/http-api.md lists them). */
    code: string;
    /** What failed and why, in one sentence. */
    message: string;
    /** What to do about it, when the caller can do something. */
    hint?: string;
    /** Every problem of a failed compile, each with its location. */
    diagnostics?: ApiDiagnostic[];
    /** On server-side failures: the id under which the server logged the details. */
    requestId?: string;
  };
}

/** An error answer: status, body and extra headers. */
export interface ErrorReply {
  status: number;
  body: ApiErrorBody;
  headers?: Record<string, string>;
  /** True when the details belong in the server log (5xx). */
  log: boolean;
}

/** Status of each library error code; codes not listed are server-side failures (500). */
const LIBRARY_STATUS: Record<string, number> = {
  INVALID_INPUT: 400,
  INVALID_KEY: 400,
  COMPILE_FAILED: 400,
  // Tenant code that breaks a sandbox limit while its metadata is read is a bad upload.
  LIMIT_EXCEEDED: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  // A compare-and-swap that kept losing to concurrent writers: the caller may simply retry.
  PRECONDITION_FAILED: 409,
};

/** Fastify's own client errors, by their code. */
const FASTIFY_ERRORS: Record<string, { status: number; code: string; message: string; hint?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'BODY_TOO_LARGE', message: 'the request body is larger than this route accepts', hint: 'upload fewer or smaller files; docs/http-api.md lists the limits' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the request body is not JSON', hint: 'send the body as JSON with `Content-Type: application/json`' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'INVALID_REQUEST', message: 'the Content-Length header does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'the body is empty but its Content-Type is application/json', hint: 'send a JSON object, e.g. `{}`' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'the body is not valid JSON', hint: 'check quotes, commas and brackets of the JSON body' },
  FST_ERR_CTP_INVALID_TYPE: { status: 400, code: 'INVALID_REQUEST', message: 'the Content-Type header is malformed', hint: 'send `Content-Type: application/json`' },
};

/** Absolute paths (`/srv/app/x.js`, `file:///…`), not preceded by a word character. */
const ABSOLUTE_PATH = /(?<![\w.@-])(?:file:\/\/)?(?:\/[^\s/'"`<>()[\]{}:,;]+){2,}\/?/g;

/** Folders of this machine a message could name: the working directory, home, temp, Node's and this library's. */
const HOST_ROOTS = [process.cwd(), homedir(), tmpdir(), dirname(process.execPath), fileURLToPath(new URL('../..', import.meta.url))]
  .map((p) => p.replace(/\/+$/, ''))
  .filter((p) => p.length > 1);

function isHostPath(path: string): boolean {
  const plain = path.startsWith('file://') ? path.slice('file://'.length) : path;
  return plain.includes('/node_modules/') || HOST_ROOTS.some((root) => plain === root || plain.startsWith(`${root}/`));
}

/**
 * Removes stack frames and this machine's paths from text bound for a response. Other absolute
 * paths (a route the caller asked for, a path in the tenant's own code) stay readable.
 */
export function redactForResponse(text: string): string {
  return redactHostPaths(
    text
      .split('\n')
      .filter((line) => !/^\s+at\s/.test(line))
      .join('\n'),
  );
}

/**
 * Replaces this machine's paths in text bound for a response, and keeps the rest: for text that is
 * the tenant's own (a tick's error with the stack the sandbox mapped onto the tenant's sources).
 */
export function redactHostPaths(text: string): string {
  return text.replace(ABSOLUTE_PATH, (path) => (isHostPath(path) ? '<path>' : path));
}

/** The message of a library error without its `HINT: …` tail (the hint has its own field). */
function messageOf(e: BtreePluginsError): string {
  const at = e.hint === undefined ? -1 : e.message.lastIndexOf(' HINT: ');
  return at < 0 ? e.message : e.message.slice(0, at);
}

function body(code: string, message: string, hint?: string): ApiErrorBody {
  const error: ApiErrorBody['error'] = { code, message: redactForResponse(message) };
  if (hint !== undefined) error.hint = redactForResponse(hint);
  return { error };
}

function serverFailure(requestId: string, status = 500, code = 'INTERNAL', message = 'the server failed to handle the request'): ErrorReply {
  const b = body(code, `${message}; it logged the details under request id ${requestId}`, 'retry later; if it persists, give the request id to the operators');
  b.error.requestId = requestId;
  return { status, body: b, log: true };
}

/**
 * Maps any error to the API's answer. Library client errors keep their code, message and hint;
 * Fastify's client errors get a code of this API; 5xx answers say only that something failed.
 */
export function errorReply(error: unknown, requestId: string): ErrorReply {
  if (error instanceof ApiError) {
    return { status: error.statusCode, body: body(error.code, messageOf(error), error.hint), log: error.statusCode >= 500 };
  }
  if (isBtreePluginsError(error)) {
    const status = LIBRARY_STATUS[error.code];
    if (status !== undefined) {
      const reply: ErrorReply = { status, body: body(error.code, messageOf(error), error.hint), log: false };
      if (error.code === 'COMPILE_FAILED') reply.body.error.diagnostics = diagnosticsOf(error);
      return reply;
    }
    if (error.code === 'STORAGE_ERROR' && (error as { retryable?: boolean }).retryable === true) {
      const reply = serverFailure(requestId, 503, 'STORAGE_UNAVAILABLE', 'the node store did not answer');
      reply.headers = { 'retry-after': '1' };
      return reply;
    }
    if (error.code === 'DISPOSED') return serverFailure(requestId, 503, 'SHUTTING_DOWN', 'the server is shutting down');
    return serverFailure(requestId);
  }
  const e = error as { code?: unknown; statusCode?: unknown; validation?: unknown; message?: unknown } | null;
  const known = typeof e?.code === 'string' ? FASTIFY_ERRORS[e.code] : undefined;
  if (known) return { status: known.status, body: body(known.code, known.message, known.hint), log: false };
  if (Array.isArray(e?.validation)) {
    const where = (e as { validationContext?: unknown }).validationContext;
    const problems = (e.validation as ValidationProblem[]).map((v) => describeProblem(typeof where === 'string' ? where : 'request', v));
    return { status: 400, body: body('INVALID_REQUEST', `the request does not match the route's schema: ${problems.join('; ')}`, 'docs/http-api.md and <prefix>/openapi.json describe every route'), log: false };
  }
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500 && typeof e?.message === 'string') {
    return { status, body: body('INVALID_REQUEST', e.message), log: false };
  }
  return serverFailure(requestId);
}

/** One Ajv error, as Fastify passes it. */
interface ValidationProblem {
  instancePath?: string;
  message?: string;
  params?: { additionalProperty?: unknown; missingProperty?: unknown; allowedValues?: unknown };
}

/** `body.sourcecode is not a field of this route` rather than Ajv's `must NOT have additional properties`. */
function describeProblem(part: string, v: ValidationProblem): string {
  const at = `${part}${(v.instancePath ?? '').replace(/\//g, '.')}`;
  const extra = v.params?.additionalProperty;
  if (typeof extra === 'string') return `${at}.${JSON.stringify(extra).slice(1, -1).slice(0, 64)} is not a field of this route`;
  const allowed = v.params?.allowedValues;
  if (Array.isArray(allowed)) return `${at} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
  return `${at} ${v.message ?? 'is invalid'}`;
}

function diagnosticsOf(error: BtreePluginsError): ApiDiagnostic[] {
  const list = (error as { diagnostics?: CompileDiagnostic[] }).diagnostics ?? [];
  return list.map((d) => {
    const out: ApiDiagnostic = { ...d, message: redactForResponse(d.message) };
    if (d.hint !== undefined) out.hint = redactForResponse(d.hint);
    return out;
  });
}
