/**
 * Demo step 3: the seed's notification tree (two tenant custom nodes) built through
 * `host.registerNodes(registry, tenant, { yaml })` and run in isolated-vm sandboxes; the
 * capabilities it calls are defined in `demoCapabilities`.
 *
 * @module
 */
import type { PluginHost, PluginHostOptions } from '../../src/index.js';
import type { DemoBtree } from './btree.js';
import { compact, say, show } from './print.js';
import { NOTIFICATION_YAML } from '../seed-workflows.js';

type Capabilities = NonNullable<PluginHostOptions['capabilities']>;

/**
 * The host capabilities tenant nodes call through `proxyActivities`: here they print the call
 * (a real host would post to Slack and Jira).
 */
export function demoCapabilities(): Capabilities {
  let tickets = 0;
  return {
    sendSlackMessage: async (ctx, channel, message) => {
      say(`    capability sendSlackMessage(${compact(channel)}, ${compact(message)})  [tenant=${ctx.tenantId}, node=${ctx.node}@${ctx.version}]`);
    },
    createJiraTicket: async (ctx, project, summary, description) => {
      const key = `${String(project)}-${100 + ++tickets}`;
      say(`    capability createJiraTicket(${compact(project)}, ${compact(summary)}, ${compact(description)}) -> ${key}  [tenant=${ctx.tenantId}, node=${ctx.node}@${ctx.version}]`);
      return { key };
    },
  };
}

/** Runs step 3; throws when the tree does not succeed. */
export async function customNodesStep(host: PluginHost, btree: DemoBtree, tenant: string): Promise<void> {
  const registry = new btree.Registry();
  btree.registerStandardNodes(registry);
  const registered = await host.registerNodes(registry, tenant, { yaml: NOTIFICATION_YAML });
  show('registerNodes', registered.registered.map((r) => `${r.type} (${r.version}, ${r.category})`).join(', '));
  for (const w of registered.warnings) say(`  warning: ${w}`);

  const root = btree.loadTreeFromYaml(NOTIFICATION_YAML, registry);
  const input = { orderId: 'A-1001', customerEmail: 'ada@example.com' };
  show('run notification-workflow with input', input);
  const result = await new btree.BehaviorTree(root).toWorkflow()({ input, treeRegistry: registry });
  show('status', result.status);
  show('blackboard', result.output);
  if (result.status !== 'SUCCESS') throw new Error(`notification-workflow ended ${result.status}: ${describeFailure(root)}`);
}

/** The `lastError` of the first failed node under `root`. */
export function describeFailure(root: unknown): string {
  const stack = [root as { lastError?: string; id?: string; children?: unknown[] }];
  while (stack.length > 0) {
    const node = stack.shift()!;
    if (node.lastError) return `${node.id}: ${node.lastError}`;
    stack.push(...((node.children ?? []) as typeof stack));
  }
  return 'no node reported an error';
}
