/**
 * The routes of the custom-nodes API, as one table: method, path, the permission it needs, its
 * schema (validation, serialization, OpenAPI) and its handler. Handlers translate between HTTP
 * and the registry; every rule (grammar, life cycle, idempotency) is the registry's.
 *
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { InterpreterLanguage } from '../binding-core/interpreter-types.js';
import type { Marketplace } from '../marketplace/marketplace.js';
import type { PluginHost } from '../plugin-host.js';
import type { TenantRegistry } from '../registry/tenant-registry.js';
import type { PublishInput, VersionStatus } from '../registry/types.js';
import { assertNodeName } from '../registry/ids.js';
import type { SandboxLimits } from '../sandbox/limits.js';
import { ApiError } from './api-error.js';
import { decodeCursor, encodeCursor, pageOf } from './paging.js';
import { DEFAULT_ROLES, type ApiPrincipal, type Permission, type PermissionRequirement } from './principal.js';
import { customNodeRecord, nodeListing, parseVersionId, versionId } from './records.js';
import * as schemas from './schemas.js';

/** What a handler gets besides the request. */
export interface RouteContext {
  /** The registry (read per request: a disposed host answers 503). */
  registry(): TenantRegistry;
  /** With true, the author of a version cannot approve it. */
  requireDistinctApprover: boolean;
  /** The sandbox limits of a tenant's ticks (the host's, or the defaults when the host is a bare registry). */
  sandboxLimits(tenantId: string): SandboxLimits;
  /**
   * The host's marketplace (read per request: a disposed host answers 503), or `null` when the
   * host is a bare registry; the marketplace routes are then not mounted.
   */
  marketplace: (() => Marketplace) | null;
  /** True when the principal's roles grant `permission` (as configured). */
  allows(who: ApiPrincipal, permission: Permission): boolean;
  /**
   * The host that runs the playground (a `PluginHost`), or `null` when the host is a bare
   * registry; the playground routes are then not mounted.
   */
  playground: PlaygroundHost | null;
  /** With the web UI on: the caller's CSRF token and the host's sign-in page. `null` when it is off. */
  ui: { csrfToken(who: ApiPrincipal): string; signInUrl: string | undefined } | null;
}

/** What the playground and `GET /session` use of a `PluginHost`. */
export type PlaygroundHost = Pick<PluginHost, 'nodeCatalog' | 'nodeRunner' | 'limitsFor' | 'interpreterEngine' | 'enabledInterpreters'>;

/** One route of the table. */
export interface ApiRoute {
  method: 'GET' | 'POST';
  url: string;
  /**
   * What the caller needs, checked before the body is read: one permission, or any of several;
   * `null`: only to be authenticated.
   */
  permission: PermissionRequirement | null;
  schema: Record<string, unknown>;
  /**
   * `upload` routes get the upload body limit and rate limit, `playground` routes the playground's;
   * the rest small bodies and no rate limit.
   */
  kind: 'upload' | 'playground' | 'other';
  handler(this: void, ctx: RouteContext, who: ApiPrincipal, request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

type Query = { limit?: number; cursor?: string };

async function oneNode(registry: TenantRegistry, tenant: string, name: string, version: string) {
  const details = await registry.get(tenant, name, version);
  return { customNode: customNodeRecord(details, details.manifest) };
}

/** The version named by `:id`, parsed with the registry's grammar. */
function idParam(request: FastifyRequest) {
  return parseVersionId((request.params as { id: string }).id);
}

function nameParam(request: FastifyRequest): string {
  const { name } = request.params as { name: string };
  assertNodeName(name);
  return name;
}

/**
 * `POST /custom-nodes/:id/<action>`: changes one version through the registry, then answers with
 * the version's record. The body was validated against `schema` (an absent body is `{}`).
 */
function versionAction<Body>(
  action: string,
  permission: Permission,
  schema: Record<string, unknown>,
  change: (ctx: RouteContext, registry: TenantRegistry, who: ApiPrincipal, id: { name: string; version: string }, body: Body) => Promise<unknown>,
): ApiRoute {
  return {
    method: 'POST',
    url: `/custom-nodes/:id/${action}`,
    permission,
    schema,
    kind: 'other',
    async handler(ctx, who, request) {
      const id = idParam(request);
      const registry = ctx.registry();
      await change(ctx, registry, who, id, (request.body ?? {}) as Body);
      return oneNode(registry, who.tenantId, id.name, id.version);
    },
  };
}

/** Every route, in the order the OpenAPI document lists them. */
export const ROUTES: readonly ApiRoute[] = [
  {
    method: 'POST',
    url: '/custom-nodes',
    permission: 'upload',
    schema: schemas.uploadSchema,
    kind: 'upload',
    async handler(ctx, who, request, reply) {
      const body = request.body as { name: string; version: string; description?: string; sourceCode?: string; files?: Record<string, string>; entry?: string };
      const input: PublishInput = { name: body.name, version: body.version, author: who.userId };
      if (body.sourceCode !== undefined) input.source = body.sourceCode;
      if (body.files !== undefined) input.files = body.files;
      if (body.entry !== undefined) input.entry = body.entry;
      if (body.description !== undefined) input.description = body.description;
      const result = await ctx.registry().publish(who.tenantId, input);
      reply.code(result.created ? 201 : 200);
      return { customNode: customNodeRecord(result.info, result.manifest) };
    },
  },
  {
    method: 'GET',
    url: '/custom-nodes',
    permission: 'read',
    schema: schemas.listSchema,
    kind: 'other',
    async handler(ctx, who, request) {
      const { name, status, limit = schemas.DEFAULT_PAGE_SIZE, cursor } = request.query as Query & { name?: string; status?: VersionStatus };
      const registry = ctx.registry();
      const nodes: Array<NonNullable<ReturnType<typeof nodeListing>>> = [];
      let after = decodeCursor('nodes', cursor);
      // Reads `limit + 1` nodes at a time: with a status filter, pages may need several reads.
      for (;;) {
        const chunk = await registry.list(who.tenantId, { ...(name === undefined ? {} : { name }), ...(after === undefined ? {} : { after }), limit: limit + 1 });
        for (const node of chunk) {
          const listing = nodeListing(node, status);
          if (listing === null) continue;
          if (nodes.length === limit) return { nodes, nextCursor: encodeCursor('nodes', nodes[nodes.length - 1]!.name) };
          nodes.push(listing);
        }
        if (chunk.length <= limit) return { nodes, nextCursor: null };
        after = chunk[chunk.length - 1]!.name;
      }
    },
  },
  {
    method: 'GET',
    url: '/custom-nodes/:id',
    permission: 'read',
    schema: schemas.getSchema,
    kind: 'other',
    async handler(ctx, who, request) {
      const { name, version } = idParam(request);
      const registry = ctx.registry();
      const details = await registry.get(who.tenantId, name, version);
      const [source, events, usages] = await Promise.all([
        registry.sources(who.tenantId, name, version),
        registry.audit(who.tenantId, { node: name }),
        registry.usages(who.tenantId, name, version),
      ]);
      return {
        customNode: {
          ...customNodeRecord(details, details.manifest),
          source,
          audit: events.filter((e) => e.version === version),
          usages: usages.slice(0, schemas.DEFAULT_PAGE_SIZE),
          usageCount: usages.length,
        },
      };
    },
  },
  versionAction('approve', 'review', schemas.approveSchema, async (ctx, registry, who, { name, version }, body: { note?: string }) => {
    if (ctx.requireDistinctApprover) {
      const [info] = (await registry.versions(who.tenantId, name)).filter((v) => v.version === version);
      if (info?.publishedBy === who.userId) {
        throw new ApiError(403, 'FORBIDDEN', 'not allowed', `${versionId(name, version)} was uploaded by you, and this platform requires another approver`, {
          hint: 'ask another user with the approver role to approve it',
        });
      }
    }
    await registry.approve(who.tenantId, name, version, body.note === undefined ? { by: who.userId } : { by: who.userId, note: body.note });
  }),
  versionAction('reject', 'review', schemas.rejectSchema, (_ctx, registry, who, { name, version }, body: { reason: string }) =>
    registry.reject(who.tenantId, name, version, { by: who.userId, note: body.reason }),
  ),
  versionAction('activate', 'activate', schemas.activateSchema, (_ctx, registry, who, { name, version }, body: { expectedActive?: string | null }) =>
    registry.activate(who.tenantId, name, version, body.expectedActive === undefined ? { by: who.userId } : { by: who.userId, expectedActive: body.expectedActive }),
  ),
  versionAction('deprecate', 'deprecate', schemas.deprecateSchema, (_ctx, registry, who, { name, version }, body: { message: string }) =>
    registry.deprecate(who.tenantId, name, version, { reason: body.message, by: who.userId }),
  ),
  {
    method: 'POST',
    url: '/custom-nodes/:name/rollback',
    permission: 'rollback',
    schema: schemas.rollbackSchema,
    kind: 'other',
    async handler(ctx, who, request) {
      const name = nameParam(request);
      const registry = ctx.registry();
      const now = await registry.rollback(who.tenantId, name, { by: who.userId });
      return oneNode(registry, who.tenantId, name, now.version);
    },
  },
  {
    method: 'GET',
    url: '/custom-nodes/:name/usages',
    permission: 'read',
    schema: schemas.usagesSchema,
    kind: 'other',
    async handler(ctx, who, request) {
      const name = nameParam(request);
      const { version, limit = schemas.DEFAULT_PAGE_SIZE, cursor } = request.query as Query & { version?: string };
      const after = decodeCursor('usages', cursor);
      const registry = ctx.registry();
      // An unknown node is 404, like every other route (another tenant's node is unknown here).
      const known = await registry.versions(who.tenantId, name);
      if (version !== undefined && !known.some((v) => v.version === version)) await registry.get(who.tenantId, name, version);
      const usages = await registry.usages(who.tenantId, name, version);
      const { page, nextCursor } = pageOf('usages', usages, (u) => `${u.version}\u0000${u.workflowId}`, after, limit);
      return { usages: page, nextCursor };
    },
  },
  {
    method: 'GET',
    url: '/audit',
    permission: 'audit',
    schema: schemas.auditSchema,
    kind: 'other',
    async handler(ctx, who, request) {
      const { node, since, limit = schemas.DEFAULT_PAGE_SIZE, cursor } = request.query as Query & { node?: string; since?: string };
      const after = decodeCursor('audit', cursor);
      const query: Parameters<TenantRegistry['audit']>[1] = { limit: limit + 1 };
      if (node !== undefined) query.node = node;
      if (since !== undefined) query.since = since;
      if (after !== undefined) query.after = after;
      const events = await ctx.registry().audit(who.tenantId, query);
      const page = events.slice(0, limit);
      return { events: page, nextCursor: events.length > limit ? encodeCursor('audit', page[page.length - 1]!.id) : null };
    },
  },
  {
    method: 'GET',
    url: '/tenant',
    permission: 'read',
    schema: schemas.tenantSchema,
    kind: 'other',
    async handler(ctx, who) {
      const registry = ctx.registry();
      return {
        tenant: {
          tenantId: who.tenantId,
          userId: who.userId,
          roles: [...who.roles],
          requireApproval: registry.requireApproval,
          compile: registry.compilePolicy,
          sandbox: ctx.sandboxLimits(who.tenantId),
        },
      };
    },
  },
  {
    method: 'GET',
    url: '/session',
    permission: null,
    schema: schemas.sessionSchema,
    kind: 'other',
    async handler(ctx, who) {
      const can = Object.fromEntries((Object.keys(DEFAULT_ROLES) as Permission[]).map((p) => [p, ctx.allows(who, p)]));
      const enabled = ctx.playground?.enabledInterpreters() ?? {};
      const interpreters: Record<InterpreterLanguage, boolean> = { javascript: enabled.javascript !== undefined, python: enabled.python !== undefined };
      const session: Record<string, unknown> = {
        tenantId: who.tenantId,
        userId: who.userId,
        roles: [...who.roles],
        can,
        marketplace: ctx.marketplace !== null,
        playground: ctx.playground !== null,
        interpreters,
      };
      if (ctx.ui) {
        session.csrfToken = ctx.ui.csrfToken(who);
        if (ctx.ui.signInUrl !== undefined) session.signInUrl = ctx.ui.signInUrl;
      }
      return session;
    },
  },
];
