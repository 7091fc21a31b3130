/**
 * Checking and resolving the host's rate-limit settings: a bad setting fails with the path of the
 * field, what was wrong and how to fix it; a good one is compiled once into the limits of each
 * scope (the tenant, each node or interpreter with an entry) with the key its counters live under.
 *
 * @module
 */
import { InvalidInputError } from '../errors.js';
import type { RateLimitSettings, RateSpec, TenantRateLimits } from './types.js';

/** Default longest wait in the concurrency queue. */
export const DEFAULT_QUEUE_TIMEOUT_MS = 10_000;

/** The limits one run is checked against, with the key of its counters. */
export interface ScopeLimits {
  /** Counter key: `<tenant>`, `<tenant>/node/<Name>` or `<tenant>/interpreter/<language>`. */
  readonly key: string;
  readonly rate: RateSpec | undefined;
  readonly concurrent: number | undefined;
  readonly queue: number;
  readonly queueTimeoutMs: number;
  readonly dailyQuota: number | undefined;
}

/** A tenant's limits, compiled. */
export interface CompiledTenantLimits {
  readonly tenant: ScopeLimits | undefined;
  readonly nodes: ReadonlyMap<string, ScopeLimits | undefined>;
  readonly interpreters: { readonly javascript?: ScopeLimits | undefined; readonly python?: ScopeLimits | undefined };
}

const SETTING_FIELDS = ['runsPerSecond', 'burst', 'concurrent', 'queue', 'queueTimeoutMs', 'dailyQuota'] as const;
const TENANT_FIELDS = [...SETTING_FIELDS, 'nodes', 'interpreters'] as const;
const LANGUAGES = ['javascript', 'python'] as const;

function fail(where: string, detail: string, hint: string): never {
  throw new InvalidInputError('invalid rate limits', detail, { context: { at: where }, hint });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const near = allowed.find((a) => a.toLowerCase() === key.toLowerCase() || a.startsWith(key.slice(0, 4)));
      fail(`${where}.${key}`, `unknown setting ${JSON.stringify(key)}`, `the settings are ${allowed.join(', ')}${near ? `; did you mean ${near}?` : ''}`);
    }
  }
}

function checkNumber(value: unknown, where: string, rule: 'positive' | 'int>=1' | 'int>=0', example: string): void {
  if (value === undefined) return;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rule === 'positive' ? value > 0 : Number.isInteger(value) && value >= (rule === 'int>=1' ? 1 : 0));
  if (!ok) {
    const wanted = rule === 'positive' ? 'a number above 0' : rule === 'int>=1' ? 'a whole number of at least 1' : 'a whole number of at least 0';
    fail(where, `must be ${wanted}, got ${JSON.stringify(value) ?? String(value)}`, `write e.g. ${example}, or leave it out for no limit`);
  }
}

/** Checks one scope's fields (types and ranges); the cross-field rules are checked when resolved. */
function checkSettings(value: unknown, where: string, fields: readonly string[]): asserts value is RateLimitSettings {
  if (!isRecord(value)) fail(where, `must be an object, got ${JSON.stringify(value) ?? String(value)}`, 'write e.g. `{ runsPerSecond: 10, burst: 20 }`');
  checkKeys(value, fields, where);
  checkNumber(value.runsPerSecond, `${where}.runsPerSecond`, 'positive', '`runsPerSecond: 10` (or 0.5 for one run every 2 s)');
  if (typeof value.runsPerSecond === 'number' && value.runsPerSecond > 1_000_000) fail(`${where}.runsPerSecond`, `${value.runsPerSecond} is over 1 000 000`, 'leave it out for no rate limit');
  checkNumber(value.burst, `${where}.burst`, 'int>=1', '`burst: 20`');
  checkNumber(value.concurrent, `${where}.concurrent`, 'int>=1', '`concurrent: 4`');
  checkNumber(value.queue, `${where}.queue`, 'int>=0', '`queue: 16` (0 refuses at once)');
  checkNumber(value.queueTimeoutMs, `${where}.queueTimeoutMs`, 'positive', '`queueTimeoutMs: 5000`');
  checkNumber(value.dailyQuota, `${where}.dailyQuota`, 'int>=0', '`dailyQuota: 100000`');
}

/**
 * Checks a tenant's (or the host-wide) rate limits. `where` names them in errors (e.g.
 * `tenants.acme.rateLimits`).
 * @throws InvalidInputError naming the field, what was wrong and how to fix it.
 */
export function checkTenantRateLimits(value: unknown, where: string): asserts value is TenantRateLimits {
  checkSettings(value, where, TENANT_FIELDS);
  const v = value as Record<string, unknown>;
  if (v.nodes !== undefined) {
    if (!isRecord(v.nodes)) fail(`${where}.nodes`, 'must be an object of node name → limits', 'write e.g. `nodes: { SendSlackMessage: { runsPerSecond: 1 } }`');
    for (const [name, settings] of Object.entries(v.nodes)) checkSettings(settings, `${where}.nodes.${name}`, SETTING_FIELDS);
  }
  if (v.interpreters !== undefined) {
    if (!isRecord(v.interpreters)) fail(`${where}.interpreters`, 'must be an object of language → limits', 'write e.g. `interpreters: { python: { concurrent: 2 } }`');
    checkKeys(v.interpreters, LANGUAGES, `${where}.interpreters`);
    for (const [language, settings] of Object.entries(v.interpreters)) if (settings !== undefined) checkSettings(settings, `${where}.interpreters.${language}`, SETTING_FIELDS);
  }
}

/** The settings of one scope: `over`'s fields over `base`'s. */
function merged(base: RateLimitSettings | undefined, over: RateLimitSettings | undefined): RateLimitSettings {
  const out: RateLimitSettings = {};
  for (const field of SETTING_FIELDS) {
    const value = over?.[field] ?? base?.[field];
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/** Resolves one scope (cross-field rules included), or `undefined` when it has no limit at all. */
function scope(settings: RateLimitSettings, key: string, where: string): ScopeLimits | undefined {
  const { runsPerSecond, burst, concurrent, queue, queueTimeoutMs, dailyQuota } = settings;
  if (burst !== undefined && runsPerSecond === undefined) fail(`${where}.burst`, '`burst` is set but `runsPerSecond` is not', 'set `runsPerSecond` too (burst is the bucket size of that rate), or remove `burst`');
  if (queue !== undefined && queue > 0 && concurrent === undefined) fail(`${where}.queue`, '`queue` is set but `concurrent` is not', 'set `concurrent` too (the queue holds runs waiting for one of its slots), or remove `queue`');
  if (queueTimeoutMs !== undefined && !queue) fail(`${where}.queueTimeoutMs`, '`queueTimeoutMs` is set but there is no `queue`', 'set `queue` to the number of runs that may wait, or remove `queueTimeoutMs`');
  if (runsPerSecond === undefined && concurrent === undefined && dailyQuota === undefined) return undefined;
  return Object.freeze({
    key,
    rate: runsPerSecond === undefined ? undefined : Object.freeze({ runsPerSecond, burst: burst ?? Math.max(1, Math.ceil(runsPerSecond)) }),
    concurrent,
    queue: queue ?? 0,
    queueTimeoutMs: queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS,
    dailyQuota,
  });
}

/**
 * Compiles the limits of `tenantId`: the host-wide `defaults`, then the tenant's own (field by
 * field; node and interpreter entries by name), checked. `undefined` when nothing limits the tenant.
 * @throws InvalidInputError
 */
export function compileTenantLimits(tenantId: string, defaults: TenantRateLimits | undefined, own: TenantRateLimits | undefined, where: string): CompiledTenantLimits | undefined {
  if (!defaults && !own) return undefined;
  const tenantSettings = merged(defaults, own);
  const nodes = new Map<string, ScopeLimits | undefined>();
  const nodeNames = new Set([...Object.keys(defaults?.nodes ?? {}), ...Object.keys(own?.nodes ?? {})]);
  for (const name of nodeNames) {
    const entry = merged(defaults?.nodes?.[name], own?.nodes?.[name]);
    nodes.set(name, scope(merged(tenantSettings, entry), `${tenantId}/node/${name}`, `${where}.nodes.${name}`));
  }
  const interpreters: { javascript?: ScopeLimits | undefined; python?: ScopeLimits | undefined } = {};
  for (const language of LANGUAGES) {
    const d = defaults?.interpreters?.[language];
    const o = own?.interpreters?.[language];
    if (d || o) interpreters[language] = scope(merged(tenantSettings, merged(d, o)), `${tenantId}/interpreter/${language}`, `${where}.interpreters.${language}`);
  }
  return Object.freeze({ tenant: scope(tenantSettings, tenantId, where), nodes, interpreters: Object.freeze(interpreters) });
}
