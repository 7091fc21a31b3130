/**
 * Example workflows of a host that lets its tenants add nodes. Copy this file into your worker's
 * workflows module.
 *
 * It uses the btree-compatible test host in place of the real btree so that it runs from this
 * repository. In your project:
 *
 * ```ts
 * import * as btree from '@wayfarer-ai/btree';            // bundle with ignoreModules: ['fs/promises']
 * import { runTenantTree } from '@wayfarer-ai/btree-plugins/workflow';
 * ```
 *
 * @module
 */
import { proxyActivities } from '@temporalio/workflow';
import * as btree from '../../src/testing/index.js'; // real host: import * as btree from '@wayfarer-ai/btree';
import { runTenantTree } from '../../src/temporal/workflow.js'; // '@wayfarer-ai/btree-plugins/workflow'
import type { HostActivities } from './host-activities.js';

/** Input of {@link tenantTree}. */
export interface TenantTreeArgs {
  tenantId: string;
  /** The tenant's YAML tree (it may name pinned versions: `type: SendSlackMessage@1.0.0`). */
  yaml: string;
  /** Initial blackboard. */
  input?: Record<string, unknown>;
}

/** Result of {@link tenantTree}: btree's WorkflowResult plus the tenant node versions the run used. */
export interface TenantTreeResult {
  status: string;
  output: Record<string, unknown>;
  used: Array<{ name: string; version: string }>;
}

// The host's own activities (here: HTTP), proxied as usual. Tenant nodes never get a handle on them.
const host = proxyActivities<HostActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 } });

/**
 * A host-provided node (the seed's `HttpRequest`): I/O goes through the host's activity. Props:
 * `url`, `method`, `body` (string values `"{{key}}"` are replaced by the blackboard's value),
 * `outputKey` (default `httpResponse`).
 */
export class HttpRequest extends btree.ActionNode {
  protected async executeTick(ctx: btree.TemporalContext): Promise<btree.NodeStatus> {
    const { url, method = 'GET', body, outputKey = 'httpResponse' } = this.config as Record<string, unknown>;
    const interpolated = body === undefined ? undefined : interpolate(body, ctx.blackboard);
    const response = await host.httpRequest({ url: String(url), method: String(method), body: interpolated });
    ctx.blackboard.set(String(outputKey), response);
    if (response.status >= 400) {
      this._lastError = `HTTP ${response.status} from ${String(url)}`;
      return btree.NodeStatus.FAILURE;
    }
    return btree.NodeStatus.SUCCESS;
  }
}

function interpolate(value: unknown, blackboard: btree.IScopedBlackboard): unknown {
  if (typeof value === 'string') {
    const m = /^\{\{\s*([^}\s]+)\s*\}\}$/.exec(value);
    return m ? blackboard.get(m[1] as string) : value;
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, blackboard));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, blackboard)]));
  }
  return value;
}

/**
 * Runs a tenant's YAML tree: the host's standard and own nodes, plus the tenant's nodes and the
 * interpreter nodes, pinned to the versions active when the run started. A tree that does not build
 * (unknown type, bad props) fails the run; `runTenantTree` sees to it.
 */
export async function tenantTree(args: TenantTreeArgs): Promise<TenantTreeResult> {
  const registry = new btree.Registry();
  btree.registerStandardNodes(registry);
  registry.register('HttpRequest', HttpRequest);
  const run = await runTenantTree(btree, registry, { tenantId: args.tenantId, yaml: args.yaml, input: args.input ?? {} });
  return { status: run.status, output: run.output, used: run.used };
}
