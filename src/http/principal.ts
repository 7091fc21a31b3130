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
 * Which role each permission needs. Defaults ({@link DEFAULT_ROLES}): reviewing needs `approver`;
 * the rest are open to every authenticated user of the tenant. With the registry's
 * `requireApproval` (the default), only approved code can become active, so the approver is the gate.
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

/** Throws 403 unless the principal has a role that grants `permission`. */
export function requirePermission(principal: ApiPrincipal, permission: Permission, roles: ApiRoles): void {
  const needed = roles[permission];
  if (needed === null) return;
  const anyOf = typeof needed === 'string' ? [needed] : needed;
  if (anyOf.some((role) => principal.roles.includes(role))) return;
  throw new ApiError(403, 'FORBIDDEN', 'not allowed', `${permission} needs the role ${anyOf.map((r) => `"${r}"`).join(' or ')}`, {
    hint: 'ask an administrator of your platform for the role',
  });
}
