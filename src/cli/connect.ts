/**
 * Turns the target flags (`--api`/`--token` or `--store`, `--tenant`, `--user`) into a
 * {@link Target} and the tenant it acts for, refusing what does not add up before anything is sent.
 *
 * @module
 */
import { userInfo } from 'node:os';
import { HARNESS_TENANT } from '../authoring/node-harness.js';
import { isBtreePluginsError } from '../errors.js';
import { DEFAULT_BLOCK_ON } from '../loader/scan.js';
import { DEFAULT_COMPILE_LIMITS } from '../loader/virtual-files.js';
import { assertTenantId } from '../registry/ids.js';
import { resolveLimits } from '../sandbox/limits.js';
import { CliError, EXIT, type CliIo } from './output.js';
import { ApiTarget } from './targets/api-target.js';
import { parseStoreLocation, StoreTarget } from './targets/store-target.js';
import type { Target, TargetTenant } from './targets/target.js';

/** The environment variable the token is read from when `--token` is not given. */
export const TOKEN_ENV = 'BTREE_PLUGINS_TOKEN';

/** The flags every target command takes. */
export interface TargetFlags {
  api?: string;
  token?: string;
  store?: string;
  tenant?: string;
  user?: string;
  requireApproval?: boolean;
}

function checkTenant(tenant: string | undefined): string {
  if (tenant === undefined) throw new CliError('--tenant is required', EXIT.usage, 'name the tenant to act for, e.g. --tenant acme');
  try {
    assertTenantId(tenant);
  } catch (e) {
    throw new CliError(`--tenant ${JSON.stringify(tenant)} is not a tenant id: ${isBtreePluginsError(e) ? e.detail : String(e)}`, EXIT.usage, 'tenant ids are 1-63 lowercase letters, digits and dashes');
  }
  return tenant;
}

function apiTarget(flags: TargetFlags, io: CliIo): ApiTarget {
  const token = flags.token ?? io.env[TOKEN_ENV];
  if (!token) throw new CliError('no API token', EXIT.usage, `pass --token <token> or set ${TOKEN_ENV}`);
  return new ApiTarget(flags.api!, token);
}

/** Opens the target the flags name, and reads its tenant (for the API: checks the token's tenant is `--tenant`). */
export async function openTarget(flags: TargetFlags, io: CliIo): Promise<{ target: Target; tenant: TargetTenant }> {
  if (flags.api !== undefined && flags.store !== undefined) throw new CliError('--api and --store were both given', EXIT.usage, 'deploy to one place: --api <url> or --store <location>');
  if (flags.api === undefined && flags.store === undefined) {
    throw new CliError('no target: say where the nodes live', EXIT.usage, 'pass --api <url> (the upload API) or --store fs:<dir> | s3://bucket/prefix | gs://bucket/prefix');
  }
  const tenantId = checkTenant(flags.tenant);
  if (flags.api !== undefined) {
    const target = apiTarget(flags, io);
    const tenant = await target.tenant();
    if (tenant.tenantId !== tenantId) {
      throw new CliError(`the token belongs to tenant ${tenant.tenantId}, not ${tenantId}`, EXIT.usage, `use a token of tenant ${tenantId}, or --tenant ${tenant.tenantId}`);
    }
    return { target, tenant };
  }
  const location = parseStoreLocation(flags.store!, io.cwd);
  const userId = flags.user ?? io.env.USER ?? safeUserName();
  const target = await StoreTarget.open({ location, label: flags.store!, tenantId, userId, env: io.env, requireApproval: flags.requireApproval ?? true });
  return { target, tenant: await target.tenant() };
}

/** Opens the target the flags name, runs `fn` on it, and closes it. */
export async function withTarget<T>(flags: TargetFlags, io: CliIo, fn: (target: Target, tenant: TargetTenant) => Promise<T>): Promise<T> {
  const { target, tenant } = await openTarget(flags, io);
  try {
    return await fn(target, tenant);
  } finally {
    await target.close();
  }
}

/**
 * The limits `test` and `validate` hold a node to: the tenant's, read from the API when `--api`
 * is given, or else the library's defaults.
 */
export async function tenantLimits(flags: TargetFlags, io: CliIo): Promise<TargetTenant> {
  if (flags.api !== undefined) {
    const tenant = await apiTarget(flags, io).tenant();
    if (flags.tenant !== undefined && tenant.tenantId !== flags.tenant) {
      throw new CliError(`the token belongs to tenant ${tenant.tenantId}, not ${flags.tenant}`, EXIT.usage, `use a token of tenant ${flags.tenant}`);
    }
    return tenant;
  }
  return {
    // Without a tenant the node runs as the harness's own tenant: the limits are the defaults anyway.
    tenantId: flags.tenant === undefined ? HARNESS_TENANT : checkTenant(flags.tenant),
    userId: flags.user ?? '(local)',
    requireApproval: true,
    compile: { limits: { ...DEFAULT_COMPILE_LIMITS }, blockOn: { ...DEFAULT_BLOCK_ON } },
    sandbox: resolveLimits(),
    limitsFrom: 'the library defaults (pass --api and a token to use your tenant\'s)',
  };
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'cli';
  }
}
