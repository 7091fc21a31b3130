/**
 * Turns one version of a tenant node into a class of the host's btree: a subclass of the injected
 * `btree.ActionNode` (or `ConditionNode`) whose tick runs the tenant's bundle in the sandbox.
 *
 * @module
 */
import { types } from 'node:util';
import { DEFAULT_MAX_BLACKBOARD_BYTES, tickWithBlackboard, type GuestBlackboard } from '../binding-core/blackboard.js';
import type { HostLeafNode, InjectedBtreeModule, HostNodeConfiguration, HostTickContext, NodeStatusValue } from '../binding-core/host-btree.js';
import { DEFAULT_MAX_PROPS_BYTES } from '../binding-core/node-props.js';
import type { GuestLogLine, JsonValue, NodeMetadata, TickOutcome } from '../binding-core/types.js';
import type { NodeRunner, RunnableBundle, TickInput } from '../sandbox/types.js';
import type { BundleMemo } from './bundle-memo.js';
import { logAt, type PluginLogger } from './logger.js';
import { PropsValidatorCache } from './props-validator.js';
import type { ExecutionLimits, RunPermit } from '../rate-limits/execution-limits.js';
import { admitNodeTick, refusedTick } from '../rate-limits/run-gates.js';

export { DEFAULT_MAX_BLACKBOARD_BYTES, DEFAULT_MAX_PROPS_BYTES };

/** Everything needed to build the class of one tenant node version. */
export interface TenantNodeSpec {
  tenantId: string;
  /** Node name: becomes the class name (btree's `node.type`). */
  name: string;
  version: string;
  /** sha256 of the bundle: part of the validator cache key. */
  sha256: string;
  /** The manifest's metadata (category, ports, props JSON Schema). */
  metadata: NodeMetadata;
  /**
   * Loads the integrity-checked bundle. Called on every tick: cache it (`registerTenantNodes` and
   * `PluginHost` wrap it in a {@link BundleMemo}).
   */
  loadBundle: () => Promise<RunnableBundle>;
  /** Runs ticks (the isolated-vm `SandboxPool`). */
  runner: NodeRunner;
  /** Cap on the blackboard copy (default {@link DEFAULT_MAX_BLACKBOARD_BYTES}). */
  maxBlackboardBytes?: number;
  /** Cap on the props (default {@link DEFAULT_MAX_PROPS_BYTES}). */
  maxPropsBytes?: number;
  /** Shared validator cache (default: one per process). */
  validators?: PropsValidatorCache;
  /** Receives debug lines (blackboard keys not copied) and, with `forwardGuestLogs`, guest log lines. */
  logger?: PluginLogger;
  /**
   * Send the guest log lines returned with each tick to `logger`, tagged with tenant/node/version.
   * Off by default: the `SandboxPool` already forwards them, rate-limited, to the host logger.
   */
  forwardGuestLogs?: boolean;
  /** The host's execution limits (rate, concurrency, daily quota); a refused tick is a FAILURE naming the limit. */
  rateLimits?: ExecutionLimits;
}

/** A node class the host Registry can instantiate. */
export type TenantNodeClass = (new (config: HostNodeConfiguration) => HostLeafNode) & {
  /** Which tenant node version the class runs. */
  readonly tenantNode: Readonly<{ tenantId: string; name: string; version: string; sha256: string }>;
};

const defaultValidators = new PropsValidatorCache();
const isProxy = types.isProxy;

/**
 * Creates the host node class for one tenant node version.
 *
 * - The class's `name` is the node name (btree uses `constructor.name` as `node.type`).
 * - The constructor takes the props out of the configuration (`extractNodeProps`: every key but
 *   btree's `id`/`name` unless the schema declares them) and validates them against the stored
 *   JSON Schema and throws the **host's** `ConfigurationError` listing every problem. It is pure, so
 *   btree's `clone()` (which re-runs it with a copy of the config) works.
 * - `executeTick` copies the blackboard (see `binding-core/blackboard.ts`), runs the bundle, applies the
 *   guest's writes and deletes, sets `lastError` on FAILURE and returns the host's status value.
 *
 * @example
 * ```ts
 * const Cls = createTenantNodeClass(btree, { tenantId: 'acme', name: 'SendSlackMessage', version: '1.0.0', sha256, metadata, loadBundle, runner });
 * registry.register('SendSlackMessage', Cls, { category: 'action' });
 * ```
 */
export function createTenantNodeClass(btree: InjectedBtreeModule, spec: TenantNodeSpec): TenantNodeClass {
  const { tenantId, name, version, sha256, metadata, runner } = spec;
  const label = `${name}@${version}`;
  const Base = metadata.category === 'condition' ? btree.ConditionNode : btree.ActionNode;
  const validators = spec.validators ?? defaultValidators;
  const validatorKey = `${tenantId}/${label}#${sha256}`;
  const maxBlackboardBytes = spec.maxBlackboardBytes ?? DEFAULT_MAX_BLACKBOARD_BYTES;
  const maxPropsBytes = spec.maxPropsBytes ?? DEFAULT_MAX_PROPS_BYTES;
  const logFields = { tenantId, node: name, version };
  const Status = btree.NodeStatus;

  // Named via the computed key so that `constructor.name` (btree's `type`) is the node name.
  const cls = {
    [name]: class extends (Base as unknown as new (config: HostNodeConfiguration) => HostLeafNode) {
      readonly #props: Record<string, JsonValue>;
      /** The props' JSON text, made once: every tick sends it. */
      readonly #propsJson: string;

      constructor(config: HostNodeConfiguration) {
        super(config);
        this.#props = checkProps(btree, config, label, metadata, validators, validatorKey, maxPropsBytes);
        this.#propsJson = JSON.stringify(this.#props);
      }

      protected async executeTick(context: HostTickContext): Promise<NodeStatusValue> {
        const result = await tickWithBlackboard(
          context.blackboard,
          {
            label,
            maxBytes: maxBlackboardBytes,
            isProxy,
            onSkipped: (keys) => spec.logger?.debug?.(`${label}: blackboard keys not copied to the guest (not JSON data or reserved)`, { ...logFields, keys }),
          },
          async (copy) => {
            // The limits' permit is taken and released here, in this function's own `await`s: a
            // wrapper around the tick would add a promise layer to every tick (bench/telemetry.ts).
            let permit: RunPermit;
            try {
              const admitted = admitNodeTick(spec.rateLimits, tenantId, name, context.signal);
              permit = admitted instanceof Promise ? await admitted : admitted;
            } catch (error) {
              return refusedTick(error);
            }
            let outcome: TickOutcome;
            try {
              outcome = await runner.tick(await spec.loadBundle(), new CopiedTickInput(this.#props, this.#propsJson, copy, this.id, this.name, context.signal));
            } finally {
              permit.release();
            }
            if (spec.forwardGuestLogs && spec.logger && outcome.logs?.length) forwardLogs(spec.logger, outcome.logs, logFields);
            return outcome;
          },
        );
        return result.status === 'FAILURE' ? this.#fail(result.error!) : Status[result.status];
      }

      #fail(message: string): NodeStatusValue {
        (this as unknown as { _lastError?: string })._lastError = message; // btree reads lastError from _lastError (contract §2)
        return Status.FAILURE;
      }
    },
  }[name]!;
  Object.defineProperty(cls, 'name', { value: name }); // belt and braces: some runtimes drop computed names
  Object.defineProperty(cls, 'tenantNode', { value: Object.freeze({ tenantId, name, version, sha256 }) });
  return cls as unknown as TenantNodeClass;
}

/**
 * One tick's input, made from the binding's copy of the blackboard: the runner gets the copy as
 * JSON texts key by key (the in-process sandbox sends an isolate what changed), and the whole text
 * or the parsed object only if it reads `blackboardJson` or `blackboard`. A class, so that those
 * two getters sit on its prototype: an object literal with getters is built by defining each
 * accessor at run time, ≈ 0.25 µs per getter on every tick.
 */
class CopiedTickInput implements TickInput {
  readonly signal: AbortSignal | undefined;
  constructor(
    readonly props: Record<string, JsonValue>,
    readonly propsJson: string,
    readonly blackboardTexts: GuestBlackboard,
    readonly nodeId: string,
    readonly nodeName: string,
    signal: AbortSignal | undefined,
  ) {
    this.signal = signal;
  }

  get blackboard(): Record<string, JsonValue> {
    return this.blackboardTexts.value;
  }

  get blackboardJson(): string {
    return this.blackboardTexts.json;
  }
}

function checkProps(
  btree: InjectedBtreeModule,
  config: HostNodeConfiguration,
  label: string,
  metadata: NodeMetadata,
  validators: PropsValidatorCache,
  validatorKey: string,
  maxPropsBytes: number,
): Record<string, JsonValue> {
  const checked = validators.nodeProps(validatorKey, config, { propsSchema: metadata.propsSchema, maxBytes: maxPropsBytes, isProxy });
  if (!checked.ok) {
    const lines = checked.problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n');
    throw new btree.ConfigurationError(
      `Invalid configuration for ${label}:${String(config.id)}:\n${lines}`,
      `Fix the props of node '${String(config.id)}' in the tree; ${label} declares its props schema in its source (see its manifest).`,
    );
  }
  return checked.props;
}

function forwardLogs(logger: PluginLogger, lines: GuestLogLine[], fields: Record<string, string>): void {
  for (const line of lines) logAt(logger, line.level, line.message, fields);
}
