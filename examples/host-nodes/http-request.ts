/**
 * EXAMPLE ONLY — not part of the library's surface. A host-provided `HttpRequest` action node,
 * written the way a host writes its own native nodes against the btree module it injects into
 * `PluginHost` (`import * as btree from '@wayfarer-ai/btree'`). The demo and the data-processing
 * end-to-end test use it to run the seed's `data-processing` workflow
 * (custom-nodes-architecture.md, Phase 2A).
 *
 * It runs in the host process with the host's privileges (tenant code never sees it): a real host
 * would add authentication, an egress policy and metrics. This one keeps the two guards any host
 * needs: an allow-list of origins (a YAML author must not make the worker call arbitrary internal
 * addresses) and a bounded timeout and response size.
 *
 * Props (YAML `props`, flat in the node configuration):
 * - `url` (required): `{{key}}` placeholders are replaced by blackboard values (URI-encoded);
 * - `method`: `GET` (default), `POST`, `PUT`, `PATCH`, `DELETE`;
 * - `body`: any JSON value, sent as `application/json`. In every string inside it, `{{key}}` is
 *   replaced by the blackboard value; a string that is exactly one placeholder (`"{{processedData}}"`)
 *   becomes the value itself (an object stays an object), otherwise values are inserted as text;
 * - `headers`: string map, with the same interpolation;
 * - `outputKey`: where the response lands (default `httpResponse`);
 * - `timeout`: milliseconds (number) or `'500ms'`, `'10s'`, `'1m'`; default 10 s, at most the host's cap.
 *
 * The response is written as `{ status, ok, headers, data }` (axios style: `data` is the parsed
 * JSON body, or the text when the body is not JSON), so the seed's script reads `httpResponse['data']`.
 * A non-2xx status is FAILURE (the response is still written, for diagnosis); a network error or a
 * timeout is FAILURE with `lastError` set. The node never throws from `tick`.
 *
 * @example
 * ```ts
 * import * as btree from '@wayfarer-ai/btree';
 * const HttpRequest = createHttpRequestNode(btree, { allowedOrigins: ['https://api.example.com'] });
 * registry.register('HttpRequest', HttpRequest, httpRequestMetadata);
 * ```
 *
 * @module
 */

/** What this example needs from the injected btree module (the real one and the test host both fit). */
export interface HttpRequestBtree {
  NodeStatus: { readonly SUCCESS: 'SUCCESS'; readonly FAILURE: 'FAILURE' };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ActionNode: abstract new (config: any) => object;
  ConfigurationError: new (message: string, hint?: string) => Error;
}

/** Options of {@link createHttpRequestNode}. */
export interface HttpRequestNodeOptions {
  /**
   * Origins (`scheme://host:port`) the node may call. Required: an empty list refuses everything,
   * so a host has to decide where YAML authors may send requests.
   */
  allowedOrigins: readonly string[];
  /** Upper bound of a request's timeout, in ms (default 30 000). */
  maxTimeoutMs?: number;
  /** Timeout when the props give none, in ms (default 10 000). */
  defaultTimeoutMs?: number;
  /** Largest response body read, in bytes (default 1 MiB); a larger one is a FAILURE. */
  maxResponseBytes?: number;
  /** The fetch to use (default: the global `fetch`). */
  fetch?: typeof fetch;
}

/** The value written under `outputKey`. */
export interface HttpResponseValue {
  status: number;
  ok: boolean;
  headers: Record<string, string>;
  data: unknown;
}

/** Registry metadata for `registry.register('HttpRequest', cls, httpRequestMetadata)`. */
export const httpRequestMetadata = {
  category: 'action' as const,
  description: 'Host-provided HTTP call (example): url/method/body with {{key}} blackboard interpolation',
  ports: [{ name: 'outputKey', type: 'output' as const, description: 'where the response is written', defaultValue: 'httpResponse' }],
};

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.]*)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*([A-Za-z_][\w.]*)\s*\}\}$/;

interface Blackboard {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

interface Checked {
  url: string;
  method: string;
  body: unknown;
  headers: Record<string, string>;
  outputKey: string;
  timeoutMs: number;
}

/** The class {@link createHttpRequestNode} returns: a concrete subclass of the host's `ActionNode`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type HttpRequestClass<B extends HttpRequestBtree> = new (config: { id: string; [key: string]: unknown }) => B['ActionNode'] extends abstract new (config: any) => infer I ? I : never;

/**
 * Builds the `HttpRequest` class for the host's btree module. Register it with
 * `registry.register('HttpRequest', cls, httpRequestMetadata)`.
 */
export function createHttpRequestNode<B extends HttpRequestBtree>(btree: B, options: HttpRequestNodeOptions): HttpRequestClass<B> {
  const origins = new Set(options.allowedOrigins.map((o) => new URL(o).origin));
  const maxTimeoutMs = options.maxTimeoutMs ?? 30_000;
  const defaultTimeoutMs = Math.min(options.defaultTimeoutMs ?? 10_000, maxTimeoutMs);
  const maxResponseBytes = options.maxResponseBytes ?? 2 ** 20;
  const doFetch = options.fetch ?? globalThis.fetch;
  const { SUCCESS, FAILURE } = btree.NodeStatus;
  // The subclass needs the protected members btree's ActionNode has (contract §2).
  const Base = btree.ActionNode as unknown as abstract new (config: Record<string, unknown>) => { readonly id: string; _lastError?: string };

  class HttpRequest extends Base {
    readonly #props: Checked;

    constructor(config: Record<string, unknown>) {
      super(config);
      this.#props = checkProps(config, { defaultTimeoutMs, maxTimeoutMs }, (problems) => {
        return new btree.ConfigurationError(
          `Invalid configuration for HttpRequest:${String(config.id)}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
          'fix the props listed above (url, method, body, headers, outputKey, timeout)',
        );
      });
    }

    protected async executeTick(ctx: { blackboard: Blackboard; signal?: AbortSignal }): Promise<'SUCCESS' | 'FAILURE'> {
      const p = this.#props;
      const fail = (why: string) => {
        this._lastError = `HttpRequest ${p.method} ${p.url} failed: ${why}`;
        return FAILURE;
      };
      let url: URL;
      try {
        url = new URL(interpolateText(p.url, ctx.blackboard, encodeURIComponent));
      } catch {
        return fail('the interpolated url is not a valid absolute URL');
      }
      if (!origins.has(url.origin)) return fail(`origin ${url.origin} is not in the host's allowedOrigins`);

      const signals = [AbortSignal.timeout(p.timeoutMs), ...(ctx.signal ? [ctx.signal] : [])];
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(p.headers)) headers[k] = interpolateText(v, ctx.blackboard, String);
      const init: RequestInit = { method: p.method, headers, signal: AbortSignal.any(signals), redirect: 'error' };
      if (p.body !== undefined) {
        try {
          init.body = JSON.stringify(interpolateValue(p.body, ctx.blackboard));
        } catch (e) {
          return fail(`the body cannot be sent as JSON: ${(e as Error).message}`); // e.g. a BigInt or a cycle on the blackboard
        }
        if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }

      let response: Response;
      let text: string;
      try {
        response = await doFetch(url, init);
        text = await readCapped(response, maxResponseBytes);
      } catch (e) {
        const err = e as Error;
        if (err.name === 'TimeoutError') return fail(`no response within ${p.timeoutMs} ms`);
        return fail(err.message + (err.cause instanceof Error ? ` (${err.cause.message})` : ''));
      }
      const value: HttpResponseValue = {
        status: response.status,
        ok: response.ok,
        headers: Object.fromEntries(response.headers),
        data: parseBody(text, response.headers.get('content-type')),
      };
      ctx.blackboard.set(p.outputKey, value);
      return response.ok ? SUCCESS : fail(`status ${response.status}`);
    }
  }
  return HttpRequest as unknown as HttpRequestClass<B>;
}

function checkProps(
  config: Record<string, unknown>,
  caps: { defaultTimeoutMs: number; maxTimeoutMs: number },
  error: (problems: string[]) => Error,
): Checked {
  const problems: string[] = [];
  const url = config.url;
  if (typeof url !== 'string' || url.trim() === '') problems.push('url: required, a non-empty string');
  const method = config.method === undefined ? 'GET' : String(config.method).toUpperCase();
  if (!METHODS.has(method)) problems.push(`method: ${JSON.stringify(config.method)} is not one of ${[...METHODS].join(', ')}`);
  const outputKey = config.outputKey ?? 'httpResponse';
  if (typeof outputKey !== 'string' || !/^[A-Za-z_][\w.:-]{0,127}$/.test(outputKey) || outputKey in Object.prototype) {
    problems.push(`outputKey: ${JSON.stringify(outputKey)} is not a valid blackboard key`);
  }
  const headers = config.headers ?? {};
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || Object.values(headers).some((v) => typeof v !== 'string')) {
    problems.push('headers: must be a map of strings');
  }
  if (config.body !== undefined && method === 'GET') problems.push('body: a GET request cannot have a body');
  const timeoutMs = config.timeout === undefined ? caps.defaultTimeoutMs : parseTimeout(config.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0 || timeoutMs > caps.maxTimeoutMs) {
    problems.push(`timeout: ${JSON.stringify(config.timeout)} must be a duration between 1 ms and ${caps.maxTimeoutMs} ms (e.g. 500ms, 10s)`);
  }
  if (problems.length > 0) throw error(problems);
  return { url: url as string, method, body: config.body, headers: headers as Record<string, string>, outputKey: outputKey as string, timeoutMs: timeoutMs! };
}

function parseTimeout(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const m = typeof value === 'string' ? /^(\d+)(ms|s|m)$/.exec(value.trim()) : null;
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

function lookup(blackboard: Blackboard, path: string): unknown {
  const [head, ...rest] = path.split('.');
  // btree's blackboard looks keys up with `key in data` (contract §6): `{{constructor}}` would
  // find Object.prototype's function. Only data values are inserted.
  let value: unknown = blackboard.get(head!);
  if (typeof value === 'function') return undefined;
  for (const part of rest) {
    // Own properties only: a template must not reach prototype members.
    value = value !== null && typeof value === 'object' && Object.hasOwn(value, part) ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function interpolateText(template: string, blackboard: Blackboard, encode: (s: string) => string): string {
  return template.replace(PLACEHOLDER, (_, path: string) => encode(asText(lookup(blackboard, path))));
}

/** Deep copy of `body` with placeholders resolved (a whole-string placeholder keeps the value's type). */
function interpolateValue(value: unknown, blackboard: Blackboard): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(value);
    if (whole) return lookup(blackboard, whole[1]!) ?? null;
    return interpolateText(value, blackboard, String);
  }
  if (Array.isArray(value)) return value.map((v) => interpolateValue(v, blackboard));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateValue(v, blackboard);
    return out;
  }
  return value;
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new Error(`the response is ${declared} bytes, over the ${maxBytes}-byte cap`);
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    // Throwing out of the loop cancels the stream.
    if (size > maxBytes) throw new Error(`the response exceeds the ${maxBytes}-byte cap`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string, contentType: string | null): unknown {
  if (text === '') return null;
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
