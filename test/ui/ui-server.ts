/**
 * A real server for the browser suites: Fastify on 127.0.0.1 with `customNodesApi({ ui: true })`
 * under `/api`, a real `PluginHost` (the filesystem store in a temp folder, the test btree host,
 * the JavaScript interpreter), and an `authenticate` that reads the principal from a `session`
 * cookie (what a browser sends) or from `Authorization: Bearer` (what the suites' own API calls
 * send — without cookies, so the CSRF check does not apply to them).
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { customNodesApi, type ApiPrincipal, type CustomNodesApiOptions } from '../../src/http/index.js';
import { PluginHost } from '../../src/plugin-host.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { loadBtree } from '../setup/btree-module.js';

/** The API's prefix in these suites. */
export const PREFIX = '/api';

function principalOf(encoded: string): ApiPrincipal {
  const [tenantId, userId, roles] = encoded.split('|');
  return { tenantId: tenantId!, userId: userId!, roles: roles ? roles.split(',') : [] };
}

/** `session=<tenant>|<user>|<roles>` (URI-encoded), else `Authorization: Bearer <tenant>|<user>|<roles>`, else nobody. */
export function cookieOrBearer(request: FastifyRequest): ApiPrincipal | null {
  const cookie = /(?:^|;\s*)session=([^;]*)/.exec(request.headers.cookie ?? '');
  if (cookie) return principalOf(decodeURIComponent(cookie[1]!));
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? principalOf(header.slice('Bearer '.length)) : null;
}

/** A bearer token for {@link UiServer.call}. */
export function bearer(tenantId: string, userId: string, roles: readonly string[] = []): string {
  return `${tenantId}|${userId}|${roles.join(',')}`;
}

/** The running server. */
export interface UiServer {
  app: FastifyInstance;
  host: PluginHost;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** The page of the UI: `<origin>/api/ui`. */
  uiUrl: string;
  /** An API call as a bearer-token client (no cookies): `{ status, json }`. */
  call(method: 'GET' | 'POST', path: string, token: string, body?: unknown): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

/** Starts the server (`ui` defaults to `true`); `close()` stops it, disposes the host and removes the temp folder. */
export async function startUiServer(options: { ui?: CustomNodesApiOptions['ui'] } = {}): Promise<UiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ui-suite-'));
  const btree = await loadBtree();
  const host = new PluginHost({ btree, storage: new FsStorage({ root: dir }), interpreters: { javascript: true }, execution: { isolation: 'inline' } });
  const app = Fastify({ logger: false, routerOptions: { maxParamLength: 200 } });
  await app.register(customNodesApi, { host, prefix: PREFIX, ui: options.ui ?? true, authenticate: cookieOrBearer, uploadRateLimit: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    app,
    host,
    origin,
    uiUrl: `${origin}${PREFIX}/ui`,
    async call(method, path, token, body) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${origin}${PREFIX}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await response.text();
      return { status: response.status, json: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await app.close();
      await host.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
