/**
 * The marketplace routes, as one table like the upload API's (routes.ts), mounted only when the
 * plugin's host has a marketplace (a `PluginHost`). Handlers translate between HTTP and
 * `Marketplace`; every rule (grammar, visibility, look-alike publishers, who may review) is the
 * library's. What the handlers add is the HTTP surface's own: the tenant and user always come from
 * the principal; platform admins are the callers with the `marketplaceAdmin` role; a listing's
 * publisher may yank its own versions; 201 tells a new publisher, catalogue version, install or
 * review from one that was already there (the library answers both the same, so each handler looks
 * before it writes: two identical requests racing may both answer 201).
 *
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isBtreePluginsError } from '../errors.js';
import type { Viewer } from '../marketplace/listing-view.js';
import { listingId, type ListVersionInput, type Marketplace } from '../marketplace/marketplace.js';
import type { Actor, SearchQuery, SupportLevel } from '../marketplace/types.js';
import { ApiError } from './api-error.js';
import * as schemas from './marketplace-schemas.js';
import { installRecord, listingRecord, publisherRecord, reviewRecord } from './marketplace-records.js';
import { decodeCursor, pageOf } from './paging.js';
import type { ApiPrincipal, PermissionRequirement } from './principal.js';
import { customNodeRecord } from './records.js';
import type { ApiRoute, RouteContext } from './routes.js';
import { DEFAULT_PAGE_SIZE } from './schemas.js';

type Handler = (m: Marketplace, who: ApiPrincipal, request: FastifyRequest, reply: FastifyReply, ctx: RouteContext) => Promise<unknown>;
type PickVersion = { version?: string; as?: string };

function route(method: ApiRoute['method'], url: string, permission: PermissionRequirement, schema: Record<string, unknown>, handler: Handler): ApiRoute {
  // The plugin mounts these routes only when `ctx.marketplace` is set.
  return { method, url, permission, schema, kind: 'other', handler: (ctx, who, request, reply) => handler(ctx.marketplace!(), who, request, reply, ctx) };
}

function actorOf(who: ApiPrincipal): Actor {
  return { tenantId: who.tenantId, userId: who.userId };
}

/** The caller as a reader of listings: platform admins see pending listings and hidden reviews. */
function viewerOf(ctx: RouteContext, who: ApiPrincipal): Viewer {
  return { tenantId: who.tenantId, admin: ctx.allows(who, 'marketplaceAdmin') };
}

/** 201 when the request created what it answers with, 200 when it was there already. */
function answer<T>(reply: FastifyReply, created: boolean, body: T): T {
  void reply.code(created ? 201 : 200);
  return body;
}

function params<T>(request: FastifyRequest): T {
  return request.params as T;
}

/** The value, or `undefined` when the library says it does not exist or cannot (a bad name). */
async function unlessMissing<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (e) {
    if (isBtreePluginsError(e) && (e.code === 'NOT_FOUND' || e.code === 'INVALID_INPUT')) return undefined;
    throw e;
  }
}

/** True when `source` (`Name@version`) is already a version of the listing of the tenant's publisher. */
async function listedAlready(m: Marketplace, tenantId: string, source: string): Promise<boolean> {
  const at = source.indexOf('@');
  const publisher = at > 0 ? await m.publisherOfTenant(tenantId) : undefined;
  if (!publisher) return false;
  const listing = await unlessMissing(m.listing(listingId(publisher.slug, source.slice(0, at)), { tenantId }));
  return listing?.versions.some((v) => v.version === source.slice(at + 1)) ?? false;
}

/** Yanking without the admin role: only a user of the listing's own publisher tenant (403 for others; 404 when the listing is not visible). */
async function assertOwnListing(m: Marketplace, who: ApiPrincipal, id: string): Promise<void> {
  const [listing, own] = await Promise.all([m.listing(id, { tenantId: who.tenantId }), m.publisherOfTenant(who.tenantId)]);
  if (own?.slug !== listing.publisher.slug) {
    throw new ApiError(403, 'FORBIDDEN', 'not allowed', `only a platform admin or the publisher ${listing.publisher.slug} may yank versions of ${id}`, {
      hint: 'ask the publisher, or a platform admin, to yank it',
    });
  }
}

/** Every marketplace route, in the order the OpenAPI document lists them. */
export const MARKETPLACE_ROUTES: readonly ApiRoute[] = [
  route('GET', '/marketplace/listings', 'marketplaceRead', schemas.searchSchema, async (m, who, request, _reply, ctx) => {
    const page = await m.search(request.query as SearchQuery, viewerOf(ctx, who));
    return { listings: page.listings, nextCursor: page.nextCursor ?? null };
  }),
  route('POST', '/marketplace/listings', 'marketplacePublish', schemas.listVersionSchema, async (m, who, request, reply, ctx) => {
    const body = request.body as ListVersionInput;
    const already = await listedAlready(m, who.tenantId, body.source);
    const listing = await m.listVersion(actorOf(who), body);
    return answer(reply, !already, { listing: listingRecord(listing, viewerOf(ctx, who)) });
  }),
  route('GET', '/marketplace/listings/:id', 'marketplaceRead', schemas.listingSchema, async (m, who, request, _reply, ctx) => {
    const viewer = viewerOf(ctx, who);
    return { listing: listingRecord(await m.listing(params<{ id: string }>(request).id, viewer), viewer) };
  }),
  route('POST', '/marketplace/listings/:id/install', 'marketplaceInstall', schemas.installSchema, async (m, who, request, reply) => {
    const before = await m.installs(who.tenantId);
    const install = await m.install(actorOf(who), params<{ id: string }>(request).id, request.body as PickVersion);
    const existed = before.some((i) => i.as === install.as && i.listingId === install.listingId && i.version === install.version);
    return answer(reply, !existed, { install: installRecord(install) });
  }),
  route('POST', '/marketplace/listings/:id/fork', 'marketplaceInstall', schemas.forkSchema, async (m, who, request, reply) => {
    const result = await m.fork(actorOf(who), params<{ id: string }>(request).id, request.body as PickVersion);
    return answer(reply, result.created, { customNode: customNodeRecord(result.info, result.manifest) });
  }),
  route('POST', '/marketplace/listings/:id/reviews', 'marketplaceReview', schemas.reviewSchema, async (m, who, request, reply, ctx) => {
    const { id } = params<{ id: string }>(request);
    const viewer = viewerOf(ctx, who);
    // Also answers 404 for a listing the caller may not see, before the install check.
    const before = await m.listing(id, viewer);
    const review = await m.review(actorOf(who), id, request.body as { rating: number; body: string });
    const created = review.createdAt === review.updatedAt && !before.reviews.some((r) => r.id === review.id);
    return answer(reply, created, { review: reviewRecord(review, viewer) });
  }),
  route('GET', '/marketplace/installs', 'marketplaceInstall', schemas.installsSchema, async (m, who, request) => {
    const { limit = DEFAULT_PAGE_SIZE, cursor } = request.query as { limit?: number; cursor?: string };
    const after = decodeCursor('installs', cursor);
    const { page, nextCursor } = pageOf('installs', await m.installs(who.tenantId), (i) => i.as, after, limit);
    return { installs: page.map(installRecord), nextCursor };
  }),
  route('POST', '/marketplace/installs/:as/upgrade', 'marketplaceInstall', schemas.upgradeSchema, async (m, who, request) => {
    const install = await m.upgrade(actorOf(who), params<{ as: string }>(request).as, request.body as { version?: string });
    return { install: installRecord(install) };
  }),
  route('POST', '/marketplace/installs/:as/uninstall', 'marketplaceInstall', schemas.uninstallSchema, async (m, who, request) => {
    // The library's 404 when there is no install `as`.
    return { install: installRecord(await m.uninstall(actorOf(who), params<{ as: string }>(request).as)) };
  }),
  route('POST', '/marketplace/publishers', 'marketplacePublish', schemas.registerPublisherSchema, async (m, who, request, reply) => {
    const before = await m.publisherOfTenant(who.tenantId);
    const publisher = await m.registerPublisher(actorOf(who), request.body as { slug: string; displayName: string });
    return answer(reply, before === undefined, { publisher: publisherRecord(publisher) });
  }),
  route('GET', '/marketplace/publishers/:slug', 'marketplaceRead', schemas.publisherSchema, async (m, _who, request) => ({
    publisher: publisherRecord(await m.publisher(params<{ slug: string }>(request).slug)),
  })),
  route('POST', '/marketplace/listings/:id/versions/:version/publish', 'marketplaceAdmin', schemas.publishSchema, async (m, who, request, _reply, ctx) => {
    const { id, version } = params<{ id: string; version: string }>(request);
    return { listing: listingRecord(await m.publishVersion(id, version, who.userId), viewerOf(ctx, who)) };
  }),
  route('POST', '/marketplace/listings/:id/versions/:version/yank', ['marketplaceAdmin', 'marketplacePublish'], schemas.yankSchema, async (m, who, request, _reply, ctx) => {
    const { id, version } = params<{ id: string; version: string }>(request);
    const viewer = viewerOf(ctx, who);
    if (!viewer.admin) await assertOwnListing(m, who, id);
    const listing = await m.yankVersion(id, version, { by: who.userId, reason: (request.body as { reason: string }).reason });
    return { listing: listingRecord(listing, viewer) };
  }),
  route('POST', '/marketplace/publishers/:slug/support-level', 'marketplaceAdmin', schemas.supportLevelSchema, async (m, who, request) => {
    const level = (request.body as { supportLevel: SupportLevel }).supportLevel;
    return { publisher: publisherRecord(await m.setSupportLevel(params<{ slug: string }>(request).slug, level, who.userId)) };
  }),
  route('POST', '/marketplace/listings/:id/reviews/:reviewId/hide', 'marketplaceAdmin', schemas.hideReviewSchema, async (m, who, request, _reply, ctx) => {
    const { id, reviewId } = params<{ id: string; reviewId: string }>(request);
    const review = await m.hideReview(id, reviewId, { by: who.userId, reason: (request.body as { reason: string }).reason });
    return { review: reviewRecord(review, viewerOf(ctx, who)) };
  }),
];
