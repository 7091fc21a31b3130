/**
 * Runs a tree the way a tenant's workflow would: a fresh btree registry with the standard nodes,
 * the tenant's nodes registered by the host for `yaml` (its own and its marketplace installs), then
 * one run of the tree. For suites that check a node end to end, in a real tree.
 */
import type { PluginHost } from '../../src/plugin-host.js';
import type { SuiteBtree } from './btree-module.js';

/** Registers `tenantId`'s nodes for `yaml` and runs it; answers the host's summary and the run's result. */
export async function runTenantTree(host: PluginHost, btree: SuiteBtree, tenantId: string, yaml: string) {
  const registry = new btree.Registry();
  btree.registerStandardNodes(registry);
  const summary = await host.registerNodes(registry, tenantId, { yaml });
  const result = await new btree.BehaviorTree(btree.loadTreeFromYaml(yaml, registry)).toWorkflow()({ input: {}, treeRegistry: registry });
  return { summary, result };
}
