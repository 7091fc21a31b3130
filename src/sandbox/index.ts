/**
 * The isolated-vm sandbox that runs tenant custom nodes. See docs/security.md.
 * @module
 */
export { SandboxPool } from './pool.js';
export type { SandboxLogger, SandboxPoolOptions, SandboxPoolStats, TenantSandboxOptions } from './pool.js';
export type { Capability, CapabilityContext } from './tenant-sandbox.js';
export { DEFAULT_LIMITS, resolveLimits, limitMessage } from './limits.js';
export type { SandboxLimits } from './limits.js';
export type { BundleCacheOptions, CompiledBundleCacheOptions } from './compiled-bundle-cache.js';
export type { GuestIdentity, GuestLogLine, JsonValue, NodeRunner, RunnableBundle, TickInput, TickOutcome, TickUsage } from './types.js';
