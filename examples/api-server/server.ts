/**
 * `npm run api-server`: the custom-nodes upload API (`@wayfarer-ai/btree-plugins/fastify`) as a
 * runnable HTTP server on the embedded defaults: a filesystem store (`.demo-data/api-server/` in
 * the repository, or `$BTREE_PLUGINS_API_DATA_DIR`), in-process isolated-vm sandboxes (uploads
 * run once there to read their metadata), and bearer tokens from `$BTREE_PLUGINS_API_TOKENS`,
 * `$BTREE_PLUGINS_API_TOKENS_FILE` or generated for the run. See examples/api-server/README.md.
 *
 * `startApiServer(options)` starts it in-process (the demo and the tests do); the file runs
 * `main()` only when executed directly.
 *
 * @module
 */
import { realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import { InvalidInputError, PluginHost, type PluginHostOptions, type PluginLogger } from '../../src/index.js';
import { customNodesApi } from '../../src/http/index.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { loadDemoBtree } from '../demo/btree.js';
import { registerSignIn, SIGN_IN_PATH } from './sign-in.js';
import { checkTokens, generateTokens, loadTokens, tokenAuthenticator, TOKENS_ENV, TOKENS_FILE_ENV, type TokenSource, type TokenTable } from './tokens.js';

/** Where the API's routes live. */
export const API_PREFIX = '/api';
/** Default data directory: `.demo-data/api-server/` in the repository (git-ignored). */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../.demo-data/api-server/', import.meta.url));
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8787;

/** Options of {@link startApiServer}. */
export interface ApiServerOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 8787; 0 picks a free one). */
  port?: number;
  /** Where the store lives (`<dataDir>/store`); default {@link DEFAULT_DATA_DIR}. */
  dataDir?: string;
  /** Bearer token → principal. Default: an author and an approver token generated for this run. */
  tokens?: TokenTable;
  /** Fastify's logger: `false` for none (default: pino at `info`, JSON lines on stdout). */
  logger?: FastifyServerOptions['logger'];
  /** The btree module (default: `@wayfarer-ai/btree` if installed, else the test host, as the demo). */
  btree?: PluginHostOptions['btree'];
}

/** A running server. */
export interface ApiServer {
  /** The API's base URL, e.g. `http://127.0.0.1:8787/api`. */
  url: string;
  /** The OpenAPI document, `<url>/openapi.json`. */
  openapiUrl: string;
  /** The web UI, `<url>/ui`. */
  uiUrl: string;
  /** The page where a browser signs in with a token (then it is sent to the UI). */
  signInUrl: string;
  /** The tokens it accepts. */
  tokens: TokenTable;
  /** Closes the server, then disposes the plugin host and the store. Idempotent. */
  close(): Promise<void>;
}

/** The library's log lines (guest console output, warnings) on Fastify's logger. */
function pluginLogger(log: FastifyBaseLogger): PluginLogger {
  return {
    debug: (message, fields) => log.debug(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
  };
}

function urlHost(address: AddressInfo): string {
  return address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
}

/** Starts the API server; resolves once it listens. */
export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const tokens = options.tokens === undefined ? generateTokens().tokens : checkTokens(options.tokens, 'options.tokens');
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  await mkdir(dataDir, { recursive: true });
  const btree = options.btree ?? (await loadDemoBtree()).btree;

  // Version ids (`Name@version`) are up to 129 characters; Fastify's default segment limit is 100.
  // (`routerOptions.maxParamLength`: the top-level `maxParamLength` is deprecated since Fastify 5.x.)
  const app = Fastify({ logger: options.logger ?? { level: 'info' }, routerOptions: { maxParamLength: 200 } });
  const storage = new FsStorage({ root: join(dataDir, 'store') });
  // The interpreters are enabled for the UI's playground (and for trees the host would run).
  const host = new PluginHost({ btree, storage, logger: pluginLogger(app.log), interpreters: { javascript: true, python: true } });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        await app.close();
      } finally {
        try {
          await host.dispose();
        } finally {
          await storage.dispose();
        }
      }
    })());

  try {
    await app.register(customNodesApi, {
      host,
      authenticate: tokenAuthenticator(tokens),
      prefix: API_PREFIX,
      // Four eyes: whoever uploaded a version cannot approve it.
      requireDistinctApprover: true,
      openapi: { title: 'btree-plugins example API server' },
      // The web UI at /api/ui; a browser signs in at /sign-in (sign-in.ts), which sets a cookie.
      ui: { signInUrl: SIGN_IN_PATH, title: 'Custom nodes (example server)' },
    });
    await registerSignIn(app, { tokens, uiUrl: `${API_PREFIX}/ui` });
    await app.listen({ host: options.host ?? DEFAULT_HOST, port: options.port ?? DEFAULT_PORT });
  } catch (e) {
    await close().catch(() => {});
    throw e;
  }
  const origin = `http://${urlHost(app.server.address() as AddressInfo)}:${(app.server.address() as AddressInfo).port}`;
  const url = `${origin}${API_PREFIX}`;
  return { url, openapiUrl: `${url}/openapi.json`, uiUrl: `${url}/ui`, signInUrl: `${origin}${SIGN_IN_PATH}`, tokens, close };
}

/** `PORT` as a port number, or a clear error. */
function portFrom(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new InvalidInputError('invalid PORT', `${JSON.stringify(value)} is not a port number`, { hint: `set PORT to 0-65535 (0 picks a free port; default ${DEFAULT_PORT})` });
  }
  return port;
}

const say = (line = ''): void => void process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const port = portFrom(process.env.PORT);
  const configured = await loadTokens(process.env);
  const generated = configured ? undefined : generateTokens();
  const source: TokenSource = configured?.source ?? 'generated';
  const server = await startApiServer({
    host: process.env.HOST || DEFAULT_HOST,
    port,
    dataDir: process.env.BTREE_PLUGINS_API_DATA_DIR || DEFAULT_DATA_DIR,
    tokens: configured?.tokens ?? generated!.tokens,
  });
  say(`custom-nodes API listening on ${server.url} (OpenAPI: ${server.openapiUrl})`);
  say(`web UI: ${server.uiUrl} (sign in at ${server.signInUrl} with a token)`);
  if (generated) {
    say(`no ${TOKENS_ENV} or ${TOKENS_FILE_ENV} set: two tokens for this run (tenant acme)`);
    say(`  author   ana  (roles: none):     ${generated.author}`);
    say(`  approver rita (roles: approver): ${generated.approver}`);
    say(`  try: curl -H 'Authorization: Bearer ${generated.author}' ${server.url}/custom-nodes`);
  } else {
    say(`${Object.keys(server.tokens).length} token(s) from ${source}`);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: closing the server`);
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`api-server: closing failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** True when this file is the program (`node … examples/api-server/server.ts`), not an import. */
function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === pathToFileURL(realpathSync(fileURLToPath(import.meta.url))).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  main().catch((e: unknown) => {
    const err = e as NodeJS.ErrnoException;
    const hint = err?.code === 'EADDRINUSE' ? ` HINT: another process uses that port; set PORT to another one (PORT=0 picks a free port)` : '';
    process.stderr.write(`api-server failed to start: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}${hint}\n`);
    process.exit(1);
  });
}
