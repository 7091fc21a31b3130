/**
 * Who is calling: the host's `authenticate` hook answers with a principal (tenant, user, roles),
 * checked here; each route names the permission it needs, and the roles that grant it come from
 * the plugin's options. The tenant comes only from the principal, never from the URL or the body.
 *
 * @module
 */
import type { FastifyRequest } from 'fastify';
import { assertTenantId, printable } from '../registry/ids.js';
import { ApiError } from './api-error.js';
import { InternalError } from '../errors.js';

/** What the host's `authenticate` hook returns for an authenticated request. */
export interface ApiPrincipal {
  /** The caller's tenant: every route reads and writes this tenant's nodes only. */
  tenantId: string;
  /** Recorded as the author of uploads and the actor of every change. */
  userId: string;
  /** The caller's roles, matched against {@link ApiRoles}. */
  roles: readonly string[];
}

/**
 * The host's authentication: the principal of a request, or `null`/`undefined` when it carries
 * no valid credentials (answered 401). Throwing is a server failure (500), not a refusal.
 */
export type Authenticate = (request: FastifyRequest) => ApiPrincipal | null | undefined | Promise<ApiPrincipal | null | undefined>;

/** A role a permission needs: one role name, any of several, or `null` for every authenticated user of the tenant. */
export type RoleRequirement = string | readonly string[] | null;

/**
 * Which role each permission needs. Defaults ({@link DEFAULT_ROLES}): reviewing needs `approver`
 * and administering the marketplace `platform-admin`; the rest are open to every authenticated
 * user of the tenant. With the registry's `requireApproval` (the default), only approved code can
 * become active, so the approver is the gate; in the marketplace, the platform admin who publishes
 * a listed version is the gate between one tenant's code and every other tenant's trees.
 */
export interface ApiRoles {
  /** `GET /custom-nodes`, `GET /custom-nodes/:id`, `GET /custom-nodes/:name/usages`. */
  read: RoleRequirement;
  /** `POST /custom-nodes`. */
  upload: RoleRequirement;
  /** `POST /custom-nodes/:id/approve` and `/reject`. */
  review: RoleRequirement;
  /** `POST /custom-nodes/:id/activate`. */
  activate: RoleRequirement;
  /** `POST /custom-nodes/:id/deprecate`. */
  deprecate: RoleRequirement;
  /** `POST /custom-nodes/:name/rollback`. */
  rollback: RoleRequirement;
  /** `GET /audit`. */
  audit: RoleRequirement;
  /**
   * `POST /playground/scripts` and `POST /playground/nodes` (with a `PluginHost` as `host`): run a
   * script in an enabled interpreter, or one tick of an approved or active version, against a
   * sample blackboard. A node run is a real tick: the capabilities it calls are the host's own.
   */
  playground: RoleRequirement;
  /** `GET /marketplace/listings`, `GET /marketplace/listings/:id`, `GET /marketplace/publishers/:slug`. */
  marketplaceRead: RoleRequirement;
  /** `POST /marketplace/publishers`, `POST /marketplace/listings`; yanking the tenant's own listings' versions. */
  marketplacePublish: RoleRequirement;
  /** `GET /marketplace/installs`, install, upgrade, uninstall and fork. */
  marketplaceInstall: RoleRequirement;
  /** `POST /marketplace/listings/:id/reviews`. */
  marketplaceReview: RoleRequirement;
  /**
   * The platform admin, across every tenant: publish and yank any listing's versions, set a
   * publisher's support level, hide reviews, see pending listings. Never `null`.
   */
  marketplaceAdmin: RoleRequirement;
}

/** A permission a route needs. */
export type Permission = keyof ApiRoles;

/** The default roles. */
export const DEFAULT_ROLES: Readonly<ApiRoles> = Object.freeze({
  read: null,
  upload: null,
  review: 'approver',
  activate: null,
  deprecate: null,
  rollback: null,
  audit: null,
  playground: null,
  marketplaceRead: null,
  marketplacePublish: null,
  marketplaceInstall: null,
  marketplaceReview: null,
  marketplaceAdmin: 'platform-admin',
});

const MAX_USER_ID_LENGTH = 200;

/** Runs the hook and checks what it returned. */
export async function authenticateRequest(authenticate: Authenticate, request: FastifyRequest): Promise<ApiPrincipal> {
  const found = await authenticate(request);
  if (found === null || found === undefined) {
    throw new ApiError(401, 'UNAUTHENTICATED', 'not authenticated', 'the request carries no valid credentials', { hint: 'send the credentials your platform issued (e.g. `Authorization: Bearer <token>`)' });
  }
  return checkPrincipal(found);
}

/** A principal from the host, checked: a bad one is the host's bug, answered 500 and logged. */
function checkPrincipal(value: unknown): ApiPrincipal {
  const p = value as Partial<ApiPrincipal> | null;
  const problem =
    typeof p !== 'object' || p === null ? `it returned ${printable(p)}, not an object`
    : !tenantOk(p.tenantId) ? `tenantId ${printable(p.tenantId)} is not a tenant id`
    : typeof p.userId !== 'string' || p.userId.length === 0 || p.userId.length > MAX_USER_ID_LENGTH ? `userId ${printable(p.userId)} is not a non-empty string of at most ${MAX_USER_ID_LENGTH} characters`
    : !Array.isArray(p.roles) || !p.roles.every((r) => typeof r === 'string') ? 'roles is not an array of strings'
    : undefined;
  if (problem !== undefined) {
    throw new InternalError('authenticate returned an invalid principal', problem, { hint: 'return `{ tenantId, userId, roles }` (or null for "not authenticated") from the `authenticate` option' });
  }
  return { tenantId: p!.tenantId!, userId: p!.userId!, roles: [...p!.roles!] };
}

function tenantOk(tenantId: unknown): boolean {
  try {
    assertTenantId(tenantId);
    return true;
  } catch {
    return false;
  }
}

/** The permissions a route needs: one, or any of several. */
export type PermissionRequirement = Permission | readonly Permission[];

/** The roles that grant `permission` (`null`: every authenticated user). */
export function rolesFor(permission: Permission, roles: ApiRoles): readonly string[] | null {
  const needed = roles[permission];
  return needed === null ? null : typeof needed === 'string' ? [needed] : needed;
}

/** True when the principal has a role that grants `permission`. */
export function grants(principal: ApiPrincipal, permission: Permission, roles: ApiRoles): boolean {
  const anyOf = rolesFor(permission, roles);
  return anyOf === null || anyOf.some((role) => principal.roles.includes(role));
}

/** Throws 403 unless the principal has a role that grants `permission` (or one of them). */
export function requirePermission(principal: ApiPrincipal, permission: PermissionRequirement, roles: ApiRoles): void {
  const permissions: readonly Permission[] = typeof permission === 'string' ? [permission] : permission;
  if (permissions.some((p) => grants(principal, p, roles))) return;
  const anyOf = [...new Set(permissions.flatMap((p) => rolesFor(p, roles) ?? []))];
  throw new ApiError(403, 'FORBIDDEN', 'not allowed', `${permissions.join(' or ')} needs the role ${anyOf.map((r) => `"${r}"`).join(' or ')}`, {
    hint: 'ask an administrator of your platform for the role',
  });
}
