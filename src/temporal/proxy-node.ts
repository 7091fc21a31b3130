/**
 * The workflow-side class of one tenant node version: a subclass of the host's `ActionNode` (or
 * `ConditionNode`) whose tick is the tick activity. Props and the blackboard follow the same rules
 * as the in-process class (`binding-core/`): props taken out of the configuration by
 * `extractNodeProps` and validated against the pinned schema when the tree is built; each tick
 * copies the blackboard, sends it to the worker, and applies the returned writes all-or-nothing.
 *
 * @module
 */
import { isCancellation } from '@temporalio/workflow';
import { DEFAULT_MAX_BLACKBOARD_BYTES, tickWithBlackboard } from '../binding-core/blackboard.js';
import type { BtreeModule, HostLeafNode, HostNodeConfiguration, HostTickContext, NodeStatusValue } from '../binding-core/host-btree.js';
import { extractNodeProps } from '../binding-core/node-props.js';
import type { JsonValue } from '../binding-core/types.js';
import { activityFailureMessage } from './activity-options.js';
import { validateAgainstSchema, type JsonSchema } from './props-validator.js';
import { ACTIVITY_NAMES, type PluginActivities, type ResolvedNode } from './types.js';

/** What every proxy node of one run shares. */
export interface ProxyNodeContext {
  tenantId: string;
  /** The tick activity, with the run's options. */
  activities: PluginActivities;
  /** Marks a version as ticked; the first time, returns the usage activity's promise. */
  markUsed(name: string, version: string): Promise<void> | undefined;
  /** Hears a workflow cancellation a tick ran into (`throwIfCancelled` rethrows it). */
  onCancel(error: unknown): void;
  /** Hears the keys a tick could not copy (not JSON data, or reserved). */
  onSkipped(label: string, keys: string[]): void;
  /** Cap on the blackboard copy sent to the worker (default {@link DEFAULT_MAX_BLACKBOARD_BYTES}). */
  maxBlackboardBytes?: number;
}

/** Creates the proxy class of `node`, named after it (btree sets `node.type = constructor.name`). */
export function proxyNodeClass(btree: BtreeModule, node: ResolvedNode, run: ProxyNodeContext): new (config: HostNodeConfiguration) => HostLeafNode {
  const Base = (node.category === 'condition' ? btree.ConditionNode : btree.ActionNode) as unknown as abstract new (
    config: HostNodeConfiguration,
  ) => HostLeafNode & { _lastError?: string };
  const ConfigurationError = btree.ConfigurationError;
  const label = `${node.name}@${node.version}`;
  const { tenantId, activities } = run;
  const holder = {
    [node.name]: class extends Base {
      readonly props: Record<string, JsonValue>;
      constructor(config: HostNodeConfiguration) {
        super(config);
        const extracted = extractNodeProps(config, { propsSchema: node.propsSchema });
        const problems = extracted.ok
          ? node.propsSchema
            ? validateAgainstSchema(node.propsSchema as JsonSchema, extracted.props)
            : []
          : extracted.problems.map((p) => `${p.path}: ${p.message}`);
        if (problems.length > 0 || !extracted.ok) {
          throw new ConfigurationError(
            `Invalid configuration for ${label}:${String(config.id)}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
            `fix the props of node '${String(config.id)}' to match the props schema of ${label}`,
          );
        }
        this.props = extracted.props;
      }
      protected async executeTick(ctx: HostTickContext): Promise<NodeStatusValue> {
        const usage = run.markUsed(node.name, node.version);
        let status: NodeStatusValue;
        try {
          const result = await tickWithBlackboard(
            ctx.blackboard,
            { label, maxBytes: run.maxBlackboardBytes ?? DEFAULT_MAX_BLACKBOARD_BYTES, onSkipped: (keys) => run.onSkipped(label, keys) },
            (copy) =>
              activities[ACTIVITY_NAMES.runNodeTick]({
                tenantId,
                name: node.name,
                version: node.version,
                sha256: node.sha256,
                props: this.props,
                blackboard: copy.value,
                nodeId: this.id,
              }),
          );
          if (result.status === 'FAILURE') this._lastError = result.error;
          status = btree.NodeStatus[result.status];
        } catch (error) {
          if (isCancellation(error)) run.onCancel(error);
          this._lastError = `${label}: ${activityFailureMessage(error)}`;
          status = btree.NodeStatus.FAILURE;
        }
        if (usage) await usage;
        return status;
      }
    },
  };
  return holder[node.name] as unknown as new (config: HostNodeConfiguration) => HostLeafNode;
}
