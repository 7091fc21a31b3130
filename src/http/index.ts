/**
 * `@wayfarer-ai/btree-plugins/fastify`: the custom-nodes upload API as a Fastify 5 plugin.
 * Needs the optional peers `fastify`, `fastify-plugin`, `@fastify/swagger`, `@fastify/rate-limit`
 * and `@sinclair/typebox`; the package root loads none of them. See docs/http-api.md.
 *
 * @module
 */
export {
  customNodesApi,
  DEFAULT_PLAYGROUND_RATE_LIMIT,
  DEFAULT_UPLOAD_BODY_LIMIT,
  DEFAULT_UPLOAD_RATE_LIMIT,
  SMALL_BODY_LIMIT,
  type CustomNodesApiOptions,
  type CustomNodesSource,
} from './plugin.js';
export { DEFAULT_UI_TITLE, type UiOptions } from './ui-options.js';
export { CSRF_HEADER } from './csrf.js';
export { PLAYGROUND_BODY_LIMIT, PLAYGROUND_MAX_SCRIPT_CHARS } from './playground-schemas.js';
export { DEFAULT_ROLES, type ApiPrincipal, type ApiRoles, type Authenticate, type Permission, type PermissionRequirement, type RoleRequirement } from './principal.js';
export { ApiError, type ApiErrorBody, type ApiDiagnostic } from './api-error.js';
export type { CustomNodeRecord } from './records.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './schemas.js';
