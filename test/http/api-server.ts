/**
 * A real Fastify server with the custom-nodes API on 127.0.0.1 (port 0), and a `fetch` client for
 * it. Callers authenticate as `Bearer <tenant>|<user>|<role,role>`: the tests' `authenticate`
 * hook reads the principal straight from the token, so each test picks tenant, user and roles.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { customNodesApi, type CustomNodesApiOptions } from '../../src/http/index.js';

/** The token of a principal. */
export function token(tenantId: string, userId: string, roles: string[] = []): string {
  return `${tenantId}|${userId}|${roles.join(',')}`;
}

export const ANA = token('acme', 'ana'); // an author
export const RITA = token('acme', 'rita', ['approver']); // an approver
export const EVE = token('evil', 'eve', ['approver']); // another tenant's approver

/** One answer, read whole. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body (`undefined` when the body is not JSON). */
  json: any;
}

export interface ApiServer {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port><prefix>`. */
  base: string;
  /** Every answer this server gave through `call`, for checks over all of them. */
  answers: Answer[];
  call(method: string, path: string, options?: { token?: string | null; body?: unknown; raw?: string | Uint8Array; contentType?: string; headers?: Record<string, string> }): Promise<Answer>;
  close(): Promise<void>;
}

/** Reads the principal from `Authorization: Bearer tenant|user|roles`. */
export const tokenAuthenticate: CustomNodesApiOptions['authenticate'] = (request) => {
  const header = request.headers.authorization;
  if (!header?.startsWith('Bearer ')) return null;
  const [tenantId, userId, roles] = header.slice('Bearer '.length).split('|');
  return { tenantId: tenantId!, userId: userId!, roles: roles ? roles.split(',') : [] };
};

/** Starts the API with `options` (authenticate defaults to {@link tokenAuthenticate}). */
export async function startApiServer(options: Omit<CustomNodesApiOptions, 'authenticate'> & { authenticate?: CustomNodesApiOptions['authenticate'] }, server: { maxParamLength?: number; logLines?: string[] } = {}): Promise<ApiServer> {
  const logger = server.logLines ? { level: 'error', stream: { write: (line: string) => void server.logLines!.push(line) } } : false;
  const app = Fastify({ logger, routerOptions: { maxParamLength: server.maxParamLength ?? 200 } });
  await app.register(customNodesApi, { authenticate: tokenAuthenticate, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${options.prefix ?? ''}`;
  const answers: Answer[] = [];
  return {
    app,
    base,
    answers,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      const auth = o.token === undefined ? ANA : o.token;
      if (auth !== null) headers.authorization = `Bearer ${auth}`;
      let body: string | Uint8Array | undefined;
      if (o.raw !== undefined) body = o.raw;
      else if (o.body !== undefined) body = JSON.stringify(o.body);
      if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
      const response = await fetch(base + path, { method, headers, body });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const answer: Answer = { status: response.status, headers: response.headers, text, json };
      answers.push(answer);
      return answer;
    },
    close: () => app.close(),
  };
}
