/**
 * `@wayfarer-ai/btree-plugins`: tenant-authored nodes for `@wayfarer-ai/btree`.
 *
 * This entry stays light: it imports no cloud SDK, no Pyodide and no Temporal package.
 * Storage adapters live under `./storage/*`, Temporal under `./temporal` and `./workflow`.
 *
 * @module
 */
export * from './errors.js';
export type {
  StorageAdapter,
  StorageAdapterOptions,
  StoredObject,
  WriteCondition,
  DeleteCondition,
  PutResult,
  ListedObject,
  RetryOptions,
} from './storage-adapters/types.js';
export { assertValidKey, assertValidPrefix, MAX_KEY_BYTES, MAX_SEGMENT_BYTES } from './storage-adapters/keys.js';
export { PluginHost, registryCatalog, type PluginHostOptions } from './plugin-host.js';
export type {
  BtreeModule,
  InjectedBtreeModule,
  HostNodeBaseClass,
  HostRegistry,
  HostBlackboard,
  HostTickContext,
  HostLeafNode,
  HostNodeConfiguration,
  HostNodeMetadata,
  HostNodeStatus,
  NodeStatusValue,
} from './binding-core/host-btree.js';
export type { PluginLogger, LogFields } from './btree/logger.js';
export {
  createTenantNodeClass,
  DEFAULT_MAX_BLACKBOARD_BYTES,
  DEFAULT_MAX_PROPS_BYTES,
  type TenantNodeSpec,
  type TenantNodeClass,
} from './btree/node-class.js';
export {
  registerTenantNodes,
  type RegisterNodesOptions,
  type RegisterNodesResult,
  type RegisteredType,
  type BuiltinNodeProvider,
  type TenantNodeCatalog,
  type ResolvedTenantNode,
  type BindingContext,
} from './btree/register-nodes.js';
export { isReservedBlackboardKey } from './binding-core/reserved-keys.js';
export { PropsValidatorCache, type PropsProblem } from './btree/props-validator.js';
export {
  javascriptInterpreterProvider,
  pythonInterpreterProvider,
  type InterpreterNodeSettings,
  type InterpreterNodeProvider,
  type InterpreterLogging,
} from './btree/builtin-interpreters.js';
// Fail fast at a host's start when this process cannot run tenant sandboxes (docs/compatibility.md).
export { checkSandboxRuntime, type SandboxRuntimeInfo } from './platform/isolated-vm.js';
// The one rule for guest output on its way to the host's logger (escaping, tags, per-tenant rate).
export { escapeLogLine, GuestLogForwarder, type GuestLogSink, type GuestLogTags, type ForwardOptions } from './binding-core/guest-log.js';
export { BundleMemo, type BundleMemoOptions } from './btree/bundle-memo.js';

// The versioned per-tenant registry and the compiler it publishes with.
export * from './registry/index.js';
export * from './loader/index.js';

// Sandbox and interpreter types. The classes themselves are loaded lazily by PluginHost (they
// bring isolated-vm, QuickJS and Pyodide); hosts that want them directly import
// `./interpreters/javascript` or `./interpreters/python`.
export type {
  SandboxPoolOptions,
  SandboxPoolStats,
  TenantSandboxOptions,
  Capability,
  CapabilityContext,
  SandboxLimits,
  SandboxLogger,
  BundleCacheOptions,
  CompiledBundleCacheOptions,
  GuestIdentity,
  GuestLogLine,
  JsonValue,
  NodeRunner,
  RunnableBundle,
  TickInput,
  TickOutcome,
  TickUsage,
} from './sandbox/index.js';
export { DEFAULT_LIMITS } from './sandbox/limits.js';
// Where tenant code runs (`PluginHostOptions.execution`, a tenant's `isolation`); docs/host-integration.md.
export type { ExecutionOptions, Isolation } from './execution/isolation.js';
export type { TieredRunnerOptions, TieredRunnerStats } from './execution/tiered-runner.js';
export type { ShardedRunnerStats } from './execution/sharded-runner.js';
export type {
  InterpreterEngine,
  InterpreterLanguage,
  InterpreterLimits,
  InterpreterLogger,
  ScriptRequest,
  ScriptOutcome,
  ScriptError,
  ScriptErrorKind,
} from './binding-core/interpreter-types.js';
export { JAVASCRIPT_LIMITS, PYTHON_LIMITS } from './binding-core/interpreter-props.js';
export { InProcessRateLimiter, type InProcessRateLimiterOptions } from './rate-limits/in-process.js';
export { ExecutionLimits, type ExecutionLimitsOptions, type RunKind, type RunPermit, type TenantRateLimitOptions } from './rate-limits/execution-limits.js';
export type { RateDecision, RateLimiter, RateLimitSettings, RateSpec, TenantRateLimits } from './rate-limits/types.js';
export type { ExecutionEvent, ExecutionHook, ExecutionKind, ExecutionStatus } from './telemetry/execution-event.js';
export type { TelemetryOptions } from './telemetry/execution-telemetry.js';
export type { CardinalityOptions } from './telemetry/instruments.js';
export type { MeterLike, TracerLike } from './telemetry/otel-types.js';
export { ATTRIBUTES as TELEMETRY_ATTRIBUTES, METRICS as TELEMETRY_METRICS } from './telemetry/instruments.js';
