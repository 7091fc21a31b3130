/**
 * The upload API as a deploy target (`--api <url>`): the routes of
 * `@wayfarer-ai/btree-plugins/fastify`, called with a bearer token. Each failure becomes one line
 * that says what happened: unreachable, refused token, missing role, conflict, or the API's own
 * error message and hint.
 *
 * @module
 */
import type { SandboxLimits } from '../../sandbox/limits.js';
import type { CompileLimits } from '../../loader/virtual-files.js';
import type { BlockOn } from '../../loader/scan.js';
import type { ListingSummary, SearchQuery } from '../../marketplace/types.js';
import { CliError, EXIT, oneLine } from '../output.js';
import { installRecord } from '../../http/marketplace-records.js';
import { listedVersionOf, listingSummary } from './target.js';
import type { CatalogueVersionRecord, InstallRecord, ListedVersion, ListingPage, ListVersionRequest, NodeListing, Target, TargetTenant, UploadInput, VersionRecord } from './target.js';

/** How long one request may take before the CLI gives up on it. */
const REQUEST_TIMEOUT_MS = 60_000;

interface ApiErrorBody {
  error?: { code?: string; message?: string; hint?: string; diagnostics?: Array<{ file?: string; line?: number; message?: string }> };
}

/** The API at `baseUrl` (e.g. `http://127.0.0.1:8787/api`), as `token`'s user. */
export class ApiTarget implements Target {
  readonly label: string;
  readonly #base: string;
  readonly #token: string;

  constructor(baseUrl: string, token: string) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new CliError(`--api ${JSON.stringify(baseUrl)} is not a URL`, EXIT.usage, 'give the API\'s base URL, e.g. --api http://127.0.0.1:8787/api');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--api ${baseUrl} is not an http(s) URL`, EXIT.usage, 'e.g. --api https://nodes.example.com/api');
    if (url.username || url.password) throw new CliError('--api must not carry credentials', EXIT.usage, 'pass the token with --token or BTREE_PLUGINS_TOKEN');
    this.#base = url.href.replace(/\/+$/, '');
    this.label = this.#base;
    this.#token = token;
  }

  async tenant(): Promise<TargetTenant> {
    const { tenant } = (await this.#call('GET', '/tenant')) as {
      tenant: { tenantId: string; userId: string; requireApproval: boolean; compile: { limits: Required<CompileLimits>; blockOn: BlockOn }; sandbox: SandboxLimits };
    };
    return { ...tenant, limitsFrom: `${this.#base}/tenant` };
  }

  async upload(input: UploadInput): Promise<{ created: boolean; record: VersionRecord }> {
    const body: Record<string, unknown> = { name: input.name, version: input.version, files: input.files, entry: input.entry };
    if (input.description !== undefined) body.description = input.description;
    const { status, json } = await this.#request('POST', '/custom-nodes', body);
    return { created: status === 201, record: record((json as { customNode: VersionRecord }).customNode) };
  }

  async list(): Promise<NodeListing[]> {
    const out: NodeListing[] = [];
    let cursor: string | null = null;
    do {
      const page = (await this.#call('GET', `/custom-nodes?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)) as {
        nodes: NodeListing[];
        nextCursor: string | null;
      };
      for (const n of page.nodes) out.push({ name: n.name, active: n.active, latest: n.latest, versions: n.versions.map((v) => ({ version: v.version, status: v.status })) });
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  approve(name: string, version: string, note?: string): Promise<VersionRecord> {
    return this.#action(`${name}@${version}`, 'approve', note === undefined ? {} : { note });
  }

  activate(name: string, version: string): Promise<VersionRecord> {
    return this.#action(`${name}@${version}`, 'activate', {});
  }

  deprecate(name: string, version: string, message: string): Promise<VersionRecord> {
    return this.#action(`${name}@${version}`, 'deprecate', { message });
  }

  rollback(name: string): Promise<VersionRecord> {
    return this.#action(name, 'rollback', undefined);
  }

  async searchListings(query: SearchQuery): Promise<ListingPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const search = params.toString();
    const page = (await this.#call('GET', `/marketplace/listings${search ? `?${search}` : ''}`)) as { listings: ListingSummary[]; nextCursor?: string | null };
    return { listings: page.listings.map(listingSummary), nextCursor: page.nextCursor ?? null };
  }

  async listVersion(request: ListVersionRequest): Promise<ListedVersion> {
    const { listing } = (await this.#call('POST', '/marketplace/listings', request)) as { listing: ListingSummary & { versions: CatalogueVersionRecord[] } };
    return listedVersionOf(listing, request.source.slice(request.source.indexOf('@') + 1));
  }

  async install(listingId: string, options: { version?: string; as?: string }): Promise<InstallRecord> {
    const { install } = (await this.#call('POST', `/marketplace/listings/${encodeURIComponent(listingId)}/install`, options)) as { install: InstallRecord };
    return installRecord(install);
  }

  async close(): Promise<void> {}

  async #action(id: string, action: string, body: Record<string, unknown> | undefined): Promise<VersionRecord> {
    const json = (await this.#call('POST', `/custom-nodes/${encodeURIComponent(id)}/${action}`, body)) as { customNode: VersionRecord };
    return record(json.customNode);
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    return (await this.#request(method, path, body)).json;
  }

  async #request(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const url = `${this.#base}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
      throw new CliError(`cannot reach the API at ${this.#base}: ${why}`, EXIT.remote, 'check --api (the base URL, e.g. http://127.0.0.1:8787/api) and that the server is running');
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (response.ok && json !== undefined) return { status: response.status, json };
    throw apiFailure(response.status, method, url, json as ApiErrorBody | undefined, text);
  }
}

function apiFailure(status: number, method: string, url: string, body: ApiErrorBody | undefined, text: string): CliError {
  const e = body?.error;
  if (status === 401) return new CliError(`the API refused the token (401${e?.message ? `: ${e.message}` : ''})`, EXIT.remote, 'pass a valid token with --token or the BTREE_PLUGINS_TOKEN environment variable');
  if (!e?.message) {
    return new CliError(`${method} ${url} answered ${status} without an API error body: ${oneLine(text).slice(0, 200) || '(empty)'}`, EXIT.remote, 'is --api the base URL of the custom-nodes API (the prefix it is mounted under)?');
  }
  const where = e.diagnostics?.[0];
  const detail = where ? ` (${where.file ?? ''}${where.line ? `:${where.line}` : ''} ${where.message ?? ''})` : '';
  return new CliError(`${e.message}${detail} [${status} ${e.code ?? ''}]`.replace(/ \]$/, ']'), EXIT.remote, e.hint);
}

function record(r: VersionRecord): VersionRecord {
  return { id: r.id, name: r.name, version: r.version, status: r.status, active: r.active, sha256: r.sha256, createdBy: r.createdBy ?? null, createdAt: r.createdAt };
}
