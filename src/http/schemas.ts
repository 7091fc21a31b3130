/**
 * The JSON Schemas of every route: what Fastify validates requests against, what it serializes
 * answers with, and what the OpenAPI document (`<prefix>/openapi.json`) is generated from.
 * Identifier grammars (node names, versions) are checked by the registry (src/registry/ids.ts),
 * the one place that rule lives; the schemas only fix types and bound sizes.
 *
 * @module
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { VersionStatus } from '../registry/types.js';
import { DEFAULT_ROLES } from './principal.js';

/** Most nodes, versions, events or usages on one page, and the default. */
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;

/** One `enum` (not a union of constants): one clear validation error naming the allowed values. */
const VERSION_STATUS = Type.Unsafe<VersionStatus>({
  type: 'string',
  enum: ['draft', 'approved', 'active', 'deprecated', 'rejected'] satisfies VersionStatus[],
  description: 'draft → approved → active; deprecated versions still resolve with a warning; rejected ones never run',
});

/** `Name@version`: a version's id in every route. Opaque: send back what the API gave you. */
export const VERSION_ID = Type.String({ description: 'a version id as the API returns it, e.g. `SendSlackMessage@1.0.0`', examples: ['SendSlackMessage@1.0.0'] });
export const NODE_NAME = Type.String({ description: 'a node name: PascalCase ASCII, 1-64 characters, e.g. `SendSlackMessage`' });
export const VERSION = Type.String({ description: 'strict semver without build metadata, e.g. `1.2.0` or `2.0.0-beta.1`' });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable machine-readable code; docs/http-api.md lists them' }),
      message: Type.String(),
      hint: Type.Optional(Type.String({ description: 'what to do about it' })),
      diagnostics: Type.Optional(
        Type.Array(
          Type.Object({
            kind: Type.String({ description: '`syntax`, `import`, `limit`, `input`, `scan` or `build`' }),
            file: Type.Optional(Type.String({ description: 'file of the upload, e.g. `index.ts`' })),
            line: Type.Optional(Type.Integer({ description: '1-based' })),
            column: Type.Optional(Type.Integer({ description: '1-based' })),
            message: Type.String(),
            hint: Type.Optional(Type.String()),
            frame: Type.Optional(Type.String({ description: 'the source lines around the location, with a caret under it' })),
            importPath: Type.Optional(Type.String()),
            rule: Type.Optional(Type.String()),
          }),
          { description: 'every problem of a failed compile (code `COMPILE_FAILED`)' },
        ),
      ),
      requestId: Type.Optional(Type.String({ description: 'on 5xx answers: the id under which the server logged the details' })),
    }),
  },
  { $id: 'CustomNodesError', title: 'Error' },
);

const Warning = Type.Object({
  rule: Type.String({ description: 'the static-scan rule, e.g. `dynamic-code`' }),
  severity: Type.String({ description: '`info`, `warning` or `high`' }),
  message: Type.String(),
  file: Type.Optional(Type.String()),
  line: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.Integer()),
});

const Port = Type.Object({
  name: Type.String(),
  type: Type.String({ description: '`input`, `output` or `inout`' }),
  description: Type.Optional(Type.String()),
  required: Type.Optional(Type.Boolean()),
  defaultValue: Type.Optional(Type.Unknown()),
});

export const CustomNode = Type.Object(
  {
    id: VERSION_ID,
    name: NODE_NAME,
    version: VERSION,
    status: VERSION_STATUS,
    active: Type.Boolean({ description: 'true for the node\'s active version (which may also be deprecated)' }),
    sha256: Type.String({ description: 'sha256 of the compiled bundle' }),
    description: Type.Union([Type.String(), Type.Null()]),
    category: Type.String({ description: '`action` or `condition`' }),
    ports: Type.Array(Port),
    propsSchema: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], { description: 'JSON Schema of the node\'s props, read from the node when it was uploaded' }),
    warnings: Type.Array(Warning, { description: 'non-blocking findings of the static scan' }),
    createdBy: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ description: 'ISO 8601' }),
    reviewedBy: Type.Optional(Type.String()),
    reviewedAt: Type.Optional(Type.String()),
    reviewNote: Type.Optional(Type.String({ description: 'the approval note or the rejection reason' })),
    deprecated: Type.Optional(Type.Object({ message: Type.String(), by: Type.Optional(Type.String()), at: Type.String() })),
  },
  { $id: 'CustomNode', title: 'CustomNode' },
);

const AuditEvent = Type.Object(
  {
    id: Type.String({ description: 'unique and time-sortable' }),
    node: NODE_NAME,
    version: VERSION,
    action: Type.String({ description: '`publish`, `approve`, `reject`, `activate`, `deprecate` or `rollback`' }),
    by: Type.String(),
    at: Type.String(),
    from: Type.Union([Type.String(), Type.Null()]),
    to: Type.Union([Type.String(), Type.Null()]),
    note: Type.Optional(Type.String()),
    revision: Type.Integer(),
  },
  { $id: 'AuditEvent', title: 'AuditEvent' },
);

const Usage = Type.Object({ workflowId: Type.String(), name: NODE_NAME, version: VERSION }, { $id: 'Usage', title: 'Usage' });

export const NEXT_CURSOR = Type.Union([Type.String(), Type.Null()], { description: 'pass as `cursor` for the next page; `null` on the last page' });

export const PAGE_QUERY = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: `items per page (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE})` })),
  cursor: Type.Optional(Type.String({ maxLength: 1024, description: 'the `nextCursor` of the previous page' })),
};

/** Every error status a route can answer with, in the one shape. */
export function errors(...statuses: number[]): Record<string, TSchema> {
  const out: Record<string, TSchema> = {};
  for (const s of [400, 401, 429, 500, ...statuses]) out[String(s)] = Type.Ref('CustomNodesError');
  return out;
}

const ID_PARAMS = Type.Object({ id: VERSION_ID });
const NAME_PARAMS = Type.Object({ name: NODE_NAME });
export const ONE_NODE = Type.Object({ customNode: Type.Ref('CustomNode') });

/** Shared schemas, added once with `addSchema` so that routes and the OpenAPI document refer to them. */
export const sharedSchemas: TSchema[] = [ErrorBody, CustomNode, AuditEvent, Usage];

export const uploadSchema = {
  summary: 'Upload a new version (a draft)',
  description:
    'Compiles, scans and inspects the node, then stores it as a draft. Send `sourceCode` (one file) or `files` (path → text) with `entry`. ' +
    'The same content again answers 200 with the stored record; other content under an existing version answers 409.',
  body: Type.Object(
    {
      name: NODE_NAME,
      version: VERSION,
      description: Type.Optional(Type.String({ maxLength: 2000 })),
      sourceCode: Type.Optional(Type.String({ description: 'the node\'s TypeScript, one file' })),
      files: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'path → TypeScript text, for nodes of several files' })),
      entry: Type.Optional(Type.String({ description: 'with `files`: the file that default-exports the node' })),
    },
    { additionalProperties: false },
  ),
  response: { 200: ONE_NODE, 201: ONE_NODE, ...errors(403, 409, 413, 415) },
};

export const listSchema = {
  summary: 'List the tenant\'s nodes with their versions',
  querystring: Type.Object(
    { name: Type.Optional(Type.String({ description: 'only the node of this name (an empty list when the tenant has none)' })), status: Type.Optional(VERSION_STATUS), ...PAGE_QUERY },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object({
      nodes: Type.Array(
        Type.Object({
          name: NODE_NAME,
          active: Type.Union([VERSION, Type.Null()]),
          latest: VERSION,
          versions: Type.Array(Type.Object({ id: VERSION_ID, version: VERSION, status: VERSION_STATUS }), { description: 'newest first; with `status`, only versions in that status' }),
        }),
      ),
      nextCursor: NEXT_CURSOR,
    }),
    ...errors(403),
  },
};

export const getSchema = {
  summary: 'One version, with its source, audit trail and usages',
  params: ID_PARAMS,
  response: {
    200: Type.Object({
      customNode: Type.Intersect([
        Type.Ref('CustomNode'),
        Type.Object({
          source: Type.Object({ entry: Type.String(), files: Type.Record(Type.String(), Type.String()) }),
          audit: Type.Array(Type.Ref('AuditEvent'), { description: 'this version\'s events, oldest first' }),
          usages: Type.Array(Type.Ref('Usage'), { description: `workflows recorded as using this version (the first ${DEFAULT_PAGE_SIZE}; see /custom-nodes/{name}/usages for all)` }),
          usageCount: Type.Integer(),
        }),
      ]),
    }),
    ...errors(403, 404),
  },
};

const action = (summary: string, description: string, body?: TSchema) => ({
  summary,
  description,
  params: ID_PARAMS,
  ...(body ? { body } : {}),
  response: { 200: ONE_NODE, ...errors(403, 404, 409, 413, 415) },
});

export const approveSchema = action('Approve a draft', 'draft → approved. Approving an approved version changes nothing.', Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }));
export const rejectSchema = action(
  'Reject a version',
  'draft | approved → rejected; a rejected version never runs. The active version cannot be rejected.',
  Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
);
export const activateSchema = action(
  'Make a version the active one',
  'With `expectedActive` (a version string such as `1.2.0`, or `null` for "none active"), a compare-and-swap: when another version is active, nothing changes and the answer is 409.',
  Type.Object({ expectedActive: Type.Optional(Type.Union([VERSION, Type.Null()])) }, { additionalProperties: false }),
);
export const deprecateSchema = action(
  'Deprecate a version',
  'The version still resolves, with a warning carrying `message`.',
  Type.Object({ message: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
);

export const rollbackSchema = {
  summary: 'Return to the previously active version',
  params: NAME_PARAMS,
  body: Type.Optional(Type.Object({}, { additionalProperties: false })),
  response: { 200: ONE_NODE, ...errors(403, 404, 409, 413, 415) },
};

export const usagesSchema = {
  summary: 'Workflows recorded as using a node',
  params: NAME_PARAMS,
  querystring: Type.Object({ version: Type.Optional(VERSION), ...PAGE_QUERY }, { additionalProperties: false }),
  response: { 200: Type.Object({ usages: Type.Array(Type.Ref('Usage')), nextCursor: NEXT_CURSOR }), ...errors(403, 404) },
};

export const auditSchema = {
  summary: 'The tenant\'s audit log, oldest first',
  querystring: Type.Object(
    { node: Type.Optional(NODE_NAME), since: Type.Optional(Type.String({ description: 'ISO 8601 time; only events at or after it' })), ...PAGE_QUERY },
    { additionalProperties: false },
  ),
  response: { 200: Type.Object({ events: Type.Array(Type.Ref('AuditEvent')), nextCursor: NEXT_CURSOR }), ...errors(403) },
};

export const tenantSchema = {
  summary: 'Who the caller is, and the limits their nodes are held to',
  description:
    'The tenant and user of the token, their roles, whether drafts need approval, the compile limits and blocking scan rules an upload meets, ' +
    'and the sandbox limits one tick runs under. Authoring tools (the CLI\'s `test` and `validate`) check a node against these before uploading.',
  response: {
    200: Type.Object({
      tenant: Type.Object({
        tenantId: Type.String(),
        userId: Type.String(),
        roles: Type.Array(Type.String()),
        requireApproval: Type.Boolean(),
        compile: Type.Object({
          limits: Type.Record(Type.String(), Type.Number(), { description: 'maxSourceBytes, maxFiles, maxBundleBytes, maxLiteralBytes' }),
          blockOn: Type.Object({ rules: Type.Optional(Type.Array(Type.String())), severity: Type.Optional(Type.String()) }),
        }),
        sandbox: Type.Record(Type.String(), Type.Number(), { description: 'the sandbox limits of one tick (wallTimeMs, cpuTimeMs, memoryMb, …)' }),
      }),
    }),
    ...errors(403),
  },
};

export const sessionSchema = {
  summary: 'Who is signed in, and what they may do here',
  description:
    'For user interfaces (the web UI reads it first): the tenant, user and roles of the caller, each permission as the configured roles grant it, ' +
    'whether this server has a marketplace and a playground (a `PluginHost` as host) and which interpreters its playground runs. ' +
    'With the web UI on (`ui` option), also `csrfToken`, which every write that carries cookies must send as the `X-CSRF-Token` header, and the host\'s `signInUrl` when set. ' +
    '401 when the request is not signed in.',
  response: {
    200: Type.Object({
      tenantId: Type.String(),
      userId: Type.String(),
      roles: Type.Array(Type.String()),
      can: Type.Object(
        Object.fromEntries(Object.keys(DEFAULT_ROLES).map((permission) => [permission, Type.Boolean()])),
        { description: 'each permission (see docs/http-api.md, Roles): true when the caller\'s roles grant it' },
      ),
      marketplace: Type.Boolean({ description: 'true when the /marketplace routes are served' }),
      playground: Type.Boolean({ description: 'true when the /playground routes are served' }),
      interpreters: Type.Object(
        { javascript: Type.Boolean(), python: Type.Boolean() },
        { description: 'the languages POST /playground/scripts runs (those the host enabled)' },
      ),
      csrfToken: Type.Optional(Type.String({ description: 'with the web UI on: send it as X-CSRF-Token on every POST that carries cookies' })),
      signInUrl: Type.Optional(Type.String({ description: 'with the web UI on: the host\'s sign-in page, when configured' })),
    }),
    ...errors(),
  },
};
