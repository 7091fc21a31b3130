/**
 * `customNodesApi`: the Fastify plugin. It is wrapped with `fastify-plugin` (so a host mounts it
 * with one `register` call), and keeps everything it sets inside one encapsulated context under
 * its own `prefix`: the JSON-only body parser, the error handler, the validator, the
 * authentication hook, the rate limiter and the OpenAPI generator touch none of the host's routes.
 *
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
// Types only: `schema.hide` and the swagger options (the package itself is imported lazily).
import type {} from '@fastify/swagger';
import { Ajv } from 'ajv';
import { importOptional } from '../platform/optional-import.js';
import { printable } from '../registry/ids.js';
import type { Marketplace } from '../marketplace/marketplace.js';
import type { TenantRegistry } from '../registry/tenant-registry.js';
import { DEFAULT_LIMITS, type SandboxLimits } from '../sandbox/limits.js';
import { ApiError, errorReply } from './api-error.js';
import { MARKETPLACE_ROUTES } from './marketplace-routes.js';
import { marketplaceSharedSchemas } from './marketplace-schemas.js';
import { invalidOption as invalid } from './options-error.js';
import { PLAYGROUND_ROUTES } from './playground-routes.js';
import { PLAYGROUND_BODY_LIMIT, PLAYGROUND_MAX_SCRIPT_CHARS } from './playground-schemas.js';
import {
  authenticateRequest,
  DEFAULT_ROLES,
  grants,
  requirePermission,
  rolesFor,
  type ApiPrincipal,
  type ApiRoles,
  type Authenticate,
  type Permission,
  type PermissionRequirement,
  type RoleRequirement,
} from './principal.js';
import { ROUTES, type ApiRoute, type PlaygroundHost, type RouteContext } from './routes.js';
import { sharedSchemas } from './schemas.js';
import { resolveUiOptions, type ResolvedUi, type UiOptions } from './ui-options.js';
import { mountUi } from './ui-shell.js';

/**
 * What the plugin serves: a `PluginHost` (its registry publishes through its sandbox; its
 * marketplace gets the `/marketplace` routes, its runner and interpreters the `/playground` routes)
 * or a `TenantRegistry` (neither).
 */
export type CustomNodesSource = { readonly registry: TenantRegistry; readonly marketplace?: Marketplace } | TenantRegistry;

/** Options of {@link customNodesApi}. */
export interface CustomNodesApiOptions {
  /**
   * A `PluginHost` (upload API, marketplace and playground), or a `TenantRegistry` made with an
   * `inspector` (publishing needs one; no marketplace or playground routes).
   */
  host: CustomNodesSource;
  /** The host's authentication: `(request) => { tenantId, userId, roles } | null`. */
  authenticate: Authenticate;
  /**
   * Where the routes live, e.g. `/api/v1` (default: none, so `/custom-nodes`, `/audit`,
   * `/openapi.json`). Fastify's own `prefix` register option does not apply to this plugin.
   */
  prefix?: string;
  /** Roles per permission, over {@link DEFAULT_ROLES}. */
  roles?: Partial<ApiRoles>;
  /** When true, the author of a version cannot approve it (403). Default false. */
  requireDistinctApprover?: boolean;
  /** Largest upload body in bytes (default 1 MiB; the playground routes take 128 KiB, other routes 16 KiB). */
  uploadBodyLimit?: number;
  /**
   * Uploads per tenant per window (default `{ max: 30, timeWindow: 60_000 }`, counted per
   * process), or `false` for none. Every authenticated upload request counts, accepted or refused.
   */
  uploadRateLimit?: { max: number; timeWindow: number } | false;
  /**
   * Playground runs (`POST /playground/scripts` and `/playground/nodes`, served with a
   * `PluginHost`) per tenant per window (default `{ max: 60, timeWindow: 60_000 }`, counted per
   * process), or `false` for none. Every authenticated playground request counts.
   */
  playgroundRateLimit?: { max: number; timeWindow: number } | false;
  /**
   * The web UI at `<prefix>/ui` (default off): `true`, or {@link UiOptions} (`signInUrl`, `title`,
   * `csrfSecret`). With it on, every write that carries cookies must send the `X-CSRF-Token` of
   * `GET <prefix>/session` (docs/http-api.md, docs/ui.md).
   */
  ui?: boolean | UiOptions;
  /** Title and version of the OpenAPI document. */
  openapi?: { title?: string; version?: string; description?: string };
}

/** Default of `uploadBodyLimit`: the compiler's 512 KiB of source, JSON-escaped. */
export const DEFAULT_UPLOAD_BODY_LIMIT = 1024 * 1024;
/** Body limit of every route but the upload. */
export const SMALL_BODY_LIMIT = 16 * 1024;
/** Default of `uploadRateLimit`. */
export const DEFAULT_UPLOAD_RATE_LIMIT = Object.freeze({ max: 30, timeWindow: 60_000 });
/** Default of `playgroundRateLimit`. */
export const DEFAULT_PLAYGROUND_RATE_LIMIT = Object.freeze({ max: 60, timeWindow: 60_000 });

/** A rate limit: at most `max` requests per tenant per `timeWindow` milliseconds. */
type RateLimit = { max: number; timeWindow: number };

/** Name of the OpenAPI generator's decorator in the plugin's context. */
const OPENAPI_DECORATOR = 'customNodesOpenApiDocument';
/** Methods the unknown-route answer covers (not OPTIONS and HEAD: a host's CORS plugin answers those). */
const FALLBACK_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

interface Resolved {
  context: RouteContext;
  authenticate: Authenticate;
  prefix: string;
  roles: ApiRoles;
  uploadBodyLimit: number;
  uploadRateLimit: RateLimit | false;
  playgroundRateLimit: RateLimit | false;
  ui: ResolvedUi | null;
  openapi: { title: string; version: string; description: string };
}

function isRegistry(host: CustomNodesSource): host is TenantRegistry {
  return typeof (host as TenantRegistry).publish === 'function' && typeof (host as TenantRegistry).resolve === 'function';
}

function registryOf(host: CustomNodesSource): () => TenantRegistry {
  if (host && isRegistry(host)) return () => host;
  if (host && 'registry' in host) return () => host.registry;
  throw invalid('`host` is neither a PluginHost nor a TenantRegistry', 'pass `{ host: pluginHost }` (or `pluginHost.registry`)');
}

/** A `PluginHost`'s marketplace, read per request (a disposed host throws); `null` for a bare registry. */
function marketplaceOf(host: CustomNodesSource): (() => Marketplace) | null {
  // `in`, not a read: the host's getter would run now, not per request.
  if (isRegistry(host) || !('marketplace' in host)) return null;
  return () => host.marketplace!;
}

/** A `PluginHost` runs the playground; a bare registry runs nothing (`null`). */
function playgroundOf(host: CustomNodesSource): PlaygroundHost | null {
  if (isRegistry(host)) return null;
  const h = host as Partial<Record<keyof PlaygroundHost, unknown>>;
  const methods: ReadonlyArray<keyof PlaygroundHost> = ['nodeCatalog', 'nodeRunner', 'limitsFor', 'interpreterEngine', 'enabledInterpreters'];
  return methods.every((m) => typeof h[m] === 'function') ? (host as unknown as PlaygroundHost) : null;
}

/** A `PluginHost` knows each tenant's sandbox limits; a bare registry runs no ticks, so the defaults stand. */
function sandboxLimitsOf(host: CustomNodesSource): (tenantId: string) => SandboxLimits {
  const limitsFor = (host as { limitsFor?: unknown }).limitsFor;
  if (typeof limitsFor === 'function') return (tenantId) => (limitsFor as (t: string) => SandboxLimits).call(host, tenantId);
  return () => ({ ...DEFAULT_LIMITS });
}

function roleOk(value: RoleRequirement | undefined): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.length > 0;
  return Array.isArray(value) && value.length > 0 && value.every((r) => typeof r === 'string' && r.length > 0);
}

function resolveOptions(options: CustomNodesApiOptions): Resolved {
  if (!options || typeof options !== 'object') throw invalid('options are required', 'pass `{ host, authenticate }`');
  const registry = registryOf(options.host);
  if (typeof options.authenticate !== 'function') {
    throw invalid('`authenticate` is not a function', 'pass `authenticate: async (request) => ({ tenantId, userId, roles }) or null`');
  }
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string' || (prefix !== '' && !/^(\/[A-Za-z0-9._~-]+)+$/.test(prefix))) {
    throw invalid(`prefix ${printable(prefix)} is not a path`, 'use "" or a path like "/api/v1": segments of letters, digits and ._~-, no trailing slash');
  }
  const roles: ApiRoles = { ...DEFAULT_ROLES };
  for (const [key, value] of Object.entries(options.roles ?? {})) {
    if (!Object.hasOwn(DEFAULT_ROLES, key)) throw invalid(`roles.${key} is not a permission`, `the permissions are ${Object.keys(DEFAULT_ROLES).join(', ')}`);
    if (!roleOk(value)) throw invalid(`roles.${key} is ${printable(value)}`, 'give a role name, a non-empty list of role names, or null for every authenticated user');
    roles[key as Permission] = value ?? null;
  }
  if (roles.marketplaceAdmin === null) {
    throw invalid('roles.marketplaceAdmin is null', 'the platform admin acts on every tenant\'s listings: give it a role your platform grants to its operators only, e.g. "platform-admin"');
  }
  const uploadBodyLimit = options.uploadBodyLimit ?? DEFAULT_UPLOAD_BODY_LIMIT;
  if (!Number.isInteger(uploadBodyLimit) || uploadBodyLimit < 1024) throw invalid(`uploadBodyLimit ${printable(uploadBodyLimit)} is not a whole number of bytes ≥ 1024`, 'e.g. `uploadBodyLimit: 2 * 1024 * 1024`');
  const ui = resolveUiOptions(options.ui);
  return {
    context: {
      registry,
      requireDistinctApprover: options.requireDistinctApprover === true,
      sandboxLimits: sandboxLimitsOf(options.host),
      marketplace: marketplaceOf(options.host),
      allows: (who, permission) => grants(who, permission, roles),
      playground: playgroundOf(options.host),
      ui: ui && { csrfToken: (who) => ui.csrf.tokenFor(who), signInUrl: ui.signInUrl },
    },
    authenticate: options.authenticate,
    prefix,
    roles,
    uploadBodyLimit,
    uploadRateLimit: rateLimitOption('uploadRateLimit', options.uploadRateLimit, DEFAULT_UPLOAD_RATE_LIMIT),
    playgroundRateLimit: rateLimitOption('playgroundRateLimit', options.playgroundRateLimit, DEFAULT_PLAYGROUND_RATE_LIMIT),
    ui,
    openapi: {
      title: options.openapi?.title ?? 'Custom nodes API',
      version: options.openapi?.version ?? '1',
      description: options.openapi?.description ?? 'Upload, review and release tenant-authored nodes (@wayfarer-ai/btree-plugins). docs/http-api.md describes authentication, roles, limits and errors.',
    },
  };
}

function rateLimitOption(name: string, value: RateLimit | false | undefined, fallback: RateLimit): RateLimit | false {
  const limit = value ?? fallback;
  if (limit === false) return false;
  if (!(limit && Number.isInteger(limit.max) && limit.max > 0 && Number.isInteger(limit.timeWindow) && limit.timeWindow > 0)) {
    throw invalid(`${name} needs a positive whole \`max\` and \`timeWindow\` (milliseconds)`, `e.g. \`{ max: ${fallback.max}, timeWindow: ${fallback.timeWindow} }\`, or \`false\` for no limit`);
  }
  return { max: limit.max, timeWindow: limit.timeWindow };
}

/** Request bodies: no extra fields, no type coercion. Query strings and params: numbers from text. */
function validatorCompiler(): (route: { schema: object; httpPart?: string }) => (data: unknown) => boolean {
  const strict = new Ajv({ strict: false, allErrors: false, coerceTypes: false, useDefaults: true, removeAdditional: false });
  const coercing = new Ajv({ strict: false, allErrors: false, coerceTypes: true, useDefaults: true, removeAdditional: false });
  return ({ schema, httpPart }) => {
    if (httpPart !== 'body') return coercing.compile(schema);
    const validate = strict.compile(schema);
    // A POST without a body (Fastify passes null) is an empty object: `activate` and `approve` need none.
    const check = (data: unknown): boolean => validate(data === undefined || data === null ? {} : data);
    return Object.defineProperty(check, 'errors', { get: () => validate.errors });
  };
}

async function mount(api: FastifyInstance, options: Resolved): Promise<void> {
  const principals = new WeakMap<FastifyRequest, ApiPrincipal>();

  // JSON only: Fastify also parses text/plain by default, which this API does not accept (415).
  api.removeContentTypeParser('text/plain');
  api.setValidatorCompiler(validatorCompiler());
  api.setErrorHandler((error, request, reply) => {
    const answer = errorReply(error, request.id);
    if (answer.log) request.log.error({ err: error }, 'custom-nodes API request failed');
    if (answer.headers) void reply.headers(answer.headers);
    return reply.code(answer.status).send(answer.body);
  });
  const routes: readonly ApiRoute[] = [...ROUTES, ...(options.context.marketplace ? MARKETPLACE_ROUTES : []), ...(options.context.playground ? PLAYGROUND_ROUTES : [])];
  for (const schema of options.context.marketplace ? [...sharedSchemas, ...marketplaceSharedSchemas] : sharedSchemas) api.addSchema(schema);

  const swagger = await importOptional<{ default: (i: FastifyInstance, o: object) => Promise<void> }>('@fastify/swagger', 'customNodesApi (OpenAPI)');
  await api.register(swagger.default as never, {
    decorator: OPENAPI_DECORATOR,
    openapi: { openapi: '3.0.3', info: options.openapi },
    refResolver: { buildLocalReference: (json: { $id?: string }, _base: unknown, _fragment: unknown, i: number) => json.$id ?? `def-${i}` },
  });
  const rateLimits = { upload: options.uploadRateLimit, playground: options.context.playground ? options.playgroundRateLimit : false, other: false } as const;
  if (rateLimits.upload !== false || rateLimits.playground !== false) {
    const rateLimit = await importOptional<{ default: (i: FastifyInstance, o: object) => Promise<void> }>('@fastify/rate-limit', 'customNodesApi (upload and playground rate limits)');
    await api.register(rateLimit.default as never, { global: false });
  }

  // Authentication, CSRF and permission, before the body is read: a refused caller costs no parsing.
  api.addHook('onRequest', async (request) => {
    const permission = (request.routeOptions.config as { customNodesPermission?: PermissionRequirement | null }).customNodesPermission;
    if (permission === undefined) return;
    const principal = await authenticateRequest(options.authenticate, request);
    options.ui?.csrf.check(request, principal);
    if (permission !== null) requirePermission(principal, permission, options.roles);
    principals.set(request, principal);
  });

  const bodyLimits = { upload: options.uploadBodyLimit, playground: PLAYGROUND_BODY_LIMIT, other: SMALL_BODY_LIMIT } as const;
  for (const route of routes) {
    const config: Record<string, unknown> = { customNodesPermission: route.permission };
    const limit = rateLimits[route.kind];
    if (limit !== false) {
      const what = route.kind === 'upload' ? 'uploads' : 'playground runs';
      config.rateLimit = {
        max: limit.max,
        timeWindow: limit.timeWindow,
        keyGenerator: (request: FastifyRequest) => `custom-nodes-${route.kind}:${principals.get(request)?.tenantId ?? ''}`,
        errorResponseBuilder: (_request: FastifyRequest, context: { after: string; max: number }) =>
          new ApiError(429, 'RATE_LIMITED', `too many ${what}`, `this tenant may make ${context.max} ${what} per window`, { hint: `retry after ${context.after} (see the Retry-After header)` }),
      };
    }
    const definition: RouteOptions = {
      method: route.method,
      url: route.url,
      schema: { ...route.schema, description: describeRoute(route, options) },
      bodyLimit: bodyLimits[route.kind],
      config,
      handler: async (request: FastifyRequest, reply: FastifyReply) => route.handler(options.context, principals.get(request)!, request, reply),
    };
    api.route(definition);
  }

  api.get('/openapi.json', { schema: { hide: true } }, async () => (api as unknown as Record<string, () => unknown>)[OPENAPI_DECORATOR]!());
  if (options.ui) await mountUi(api, { prefix: options.prefix, ui: options.ui });
  registerFallbacks(api, routes, { marketplace: options.context.marketplace !== null, playground: options.context.playground !== null });
}

/** A route's OpenAPI description: what it does, who may call it and, for uploads and the playground, the limits — as configured. */
function describeRoute(route: ApiRoute, options: Resolved): string {
  const { permission, kind } = route;
  const what = route.schema.description;
  const whoMay = (p: Permission): string => {
    const anyOf = rolesFor(p, options.roles);
    return anyOf === null ? `Permission \`${p}\`: every authenticated user of the tenant.` : `Permission \`${p}\`: the role ${anyOf.map((r) => `\`${r}\``).join(' or ')}.`;
  };
  const who = permission === null ? 'Every authenticated user.' : typeof permission === 'string' ? whoMay(permission) : `Any of: ${permission.map(whoMay).join(' ')}`;
  const parts = typeof what === 'string' ? [what, who] : [who];
  if (kind === 'upload') {
    const rate = options.uploadRateLimit === false ? 'no upload rate limit' : `at most ${options.uploadRateLimit.max} uploads per tenant per ${options.uploadRateLimit.timeWindow} ms, refused ones included (429 with Retry-After)`;
    parts.push(`Body limit ${options.uploadBodyLimit} bytes (413); ${rate}.`);
  }
  if (kind === 'playground') {
    const rate = options.playgroundRateLimit === false ? 'no playground rate limit' : `at most ${options.playgroundRateLimit.max} playground runs per tenant per ${options.playgroundRateLimit.timeWindow} ms (429 with Retry-After)`;
    parts.push(`Body limit ${PLAYGROUND_BODY_LIMIT} bytes (413), scripts up to ${PLAYGROUND_MAX_SCRIPT_CHARS} characters; ${rate}.`);
  }
  if (options.ui && route.method !== 'GET') {
    parts.push('With the web UI on, a request that carries cookies must send the `csrfToken` of GET /session as the X-CSRF-Token header (403 `CSRF_TOKEN_MISSING` or `CSRF_TOKEN_INVALID`).');
  }
  return parts.join('\n\n');
}

/**
 * Unknown routes under the API's paths answer 404 (or 414 for an over-long segment) in the API's
 * shape; so do the marketplace's paths when the host has no marketplace, saying so.
 */
function registerFallbacks(api: FastifyInstance, routes: readonly ApiRoute[], served: { marketplace: boolean; playground: boolean }): void {
  // Fastify 5 takes it as `routerOptions.maxParamLength`; its default (and the deprecated top-level
  // option, which cannot be read without a warning) count as 100: a longer segment that reached
  // this fallback was too long for the router.
  const maxParamLength = (api.initialConfig as { routerOptions?: { maxParamLength?: number } }).routerOptions?.maxParamLength ?? 100;
  const notFound = async (request: FastifyRequest): Promise<never> => {
    const path = request.url.split('?')[0]!;
    if (path.split('/').some((segment) => segment.length > maxParamLength)) {
      throw new ApiError(414, 'URI_TOO_LONG', 'path segment too long', `a segment of the path is longer than this server's ${maxParamLength} characters`, {
        hint: 'version ids are at most 129 characters; the server operator can raise Fastify\'s `maxParamLength` (docs/http-api.md)',
      });
    }
    if (!served.marketplace && request.routeOptions.url?.endsWith('/marketplace/*')) {
      throw new ApiError(404, 'NOT_FOUND', 'no marketplace', 'this API serves no marketplace: its host is a TenantRegistry', { hint: 'mount customNodesApi with `host: pluginHost` to serve the /marketplace routes' });
    }
    if (!served.playground && request.routeOptions.url?.endsWith('/playground/*')) {
      throw new ApiError(404, 'NOT_FOUND', 'no playground', 'this API serves no playground: its host is a TenantRegistry, which runs no code', { hint: 'mount customNodesApi with `host: pluginHost` to serve the /playground routes' });
    }
    throw new ApiError(404, 'NOT_FOUND', 'no such route', `${request.method} ${printable(path)} is not a route of this API`, { hint: 'see <prefix>/openapi.json for the routes' });
  };
  const defined = new Map<string, string[]>();
  for (const r of routes) defined.set(r.url, [...(defined.get(r.url) ?? []), r.method]);
  defined.set('/openapi.json', ['GET']);
  for (const [url, methods] of defined) {
    if (url.includes(':')) continue;
    const others = FALLBACK_METHODS.filter((m) => !methods.includes(m));
    if (others.length) api.route({ method: others, url, schema: { hide: true }, handler: notFound });
  }
  for (const url of ['/custom-nodes/*', '/audit/*', '/marketplace/*', '/playground/*']) api.route({ method: [...FALLBACK_METHODS], url, schema: { hide: true }, handler: notFound });
}

async function customNodesApiPlugin(app: FastifyInstance, options: CustomNodesApiOptions): Promise<void> {
  const resolved = resolveOptions(options);
  await app.register(async (api) => mount(api, resolved), { prefix: resolved.prefix });
}

/**
 * The custom-nodes HTTP API as a Fastify 5 plugin: upload, list, read, approve, reject,
 * activate, deprecate, roll back, usages, audit, `GET /session`, the marketplace and the
 * playground (with a `PluginHost` as `host`), `<prefix>/openapi.json` and, with `ui`, the web UI
 * at `<prefix>/ui` with CSRF tokens on cookie-carrying writes. See docs/http-api.md.
 *
 * @example
 * ```ts
 * import type { FastifyRequest } from 'fastify';
 *
 * await app.register(customNodesApi, {
 *   host,
 *   prefix: '/api',
 *   authenticate: async (request: FastifyRequest) => sessions.principal(request.headers.authorization),
 * });
 * ```
 */
export const customNodesApi = fp(customNodesApiPlugin, { fastify: '5.x', name: '@wayfarer-ai/btree-plugins/fastify' });
