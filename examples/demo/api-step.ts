/**
 * Demo step 6: the upload API over real HTTP. Starts the example API server
 * (examples/api-server/server.ts) in-process on a free port with two fixed tokens, then, with
 * `fetch`, uploads `GreetCustomer@1.0.0` as the author, approves it as the approver, activates it
 * and lists the tenant's nodes; prints each status code and the record; closes the server.
 * Re-running is safe: the same upload again answers 200 instead of 201, approve and activate are
 * no-ops.
 *
 * @module
 */
import { join } from 'node:path';
import type { PluginHostOptions } from '../../src/index.js';
import { startApiServer } from '../api-server/server.js';
import { compact, say, show } from './print.js';

/** Fixed tokens of the demo's server (a real deployment reads them from its secrets). */
export const DEMO_API_TOKENS = {
  'demo-author-token-ana-0001': { tenantId: 'acme', userId: 'ana', roles: [] },
  'demo-approver-token-rita-0001': { tenantId: 'acme', userId: 'rita', roles: ['approver'] },
};
const AUTHOR = 'demo-author-token-ana-0001';
const APPROVER = 'demo-approver-token-rita-0001';

/** The node the step uploads: the seed's SendSlackMessage style, greeting a customer. */
export const GREET_CUSTOMER_SOURCE = `import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
import { proxyActivities } from '@temporalio/workflow';
import type { TemporalContext } from '@wayfarer-ai/btree';

interface SlackActivities {
  sendSlackMessage(channel: string, message: string): Promise<void>;
}

const activities = proxyActivities<SlackActivities>({ startToCloseTimeout: '30s' });

export default class GreetCustomer extends ActionNode {
  private channel: string;

  constructor(config: any) {
    super(config);
    this.channel = config.channel ?? '#customers';
  }

  protected async executeTick(context: TemporalContext): Promise<NodeStatus> {
    const name = String(context.blackboard.get('customerName') ?? 'there');
    try {
      await activities.sendSlackMessage(this.channel, \`Hello, \${name}!\`);
      return NodeStatus.SUCCESS;
    } catch (error: any) {
      this._lastError = \`greeting failed: \${error.message}\`;
      return NodeStatus.FAILURE;
    }
  }
}
`;

interface Answer {
  status: number;
  body: any;
}

/** Runs step 5; its server keeps its store in `<dataDir>/api-server`. */
export async function apiStep(dataDir: string, btree: PluginHostOptions['btree']): Promise<void> {
  const server = await startApiServer({ port: 0, dataDir: join(dataDir, 'api-server'), tokens: DEMO_API_TOKENS, logger: false, btree });
  try {
    show('server', `${server.url} (OpenAPI: ${server.openapiUrl})`);
    const call = async (method: 'GET' | 'POST', path: string, token: string, body?: unknown): Promise<Answer> => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const answer: Answer = { status: response.status, body: await response.json() };
      if (answer.status >= 400) {
        const e = answer.body?.error ?? {};
        throw new Error(`${method} ${path} answered ${answer.status} ${e.code}: ${e.message}${e.hint ? ` HINT: ${e.hint}` : ''}`);
      }
      return answer;
    };

    const upload = await call('POST', '/custom-nodes', AUTHOR, { name: 'GreetCustomer', version: '1.0.0', description: 'greets a customer on Slack', sourceCode: GREET_CUSTOMER_SOURCE });
    say(`  POST /custom-nodes (ana)  -> ${upload.status} ${upload.status === 201 ? 'Created: a new draft' : 'OK: already uploaded with identical content (idempotent)'}`);
    // Version ids are opaque: send back the one the API gave, URL-encoded.
    const id = upload.body.customNode.id as string;
    const path = `/custom-nodes/${encodeURIComponent(id)}`;

    const approved = await call('POST', `${path}/approve`, APPROVER, { note: 'reviewed in the demo' });
    say(`  POST /custom-nodes/${id}/approve (rita)  -> ${approved.status}, status ${approved.body.customNode.status}`);
    const activated = await call('POST', `${path}/activate`, AUTHOR);
    say(`  POST /custom-nodes/${id}/activate (ana)  -> ${activated.status}, status ${activated.body.customNode.status}`);
    const { sha256, ...record } = activated.body.customNode as Record<string, unknown>;
    show('record', { ...record, sha256: `${String(sha256).slice(0, 16)}…` });

    const listed = await call('GET', '/custom-nodes', AUTHOR);
    say(`  GET /custom-nodes  -> ${listed.status}: ${compact((listed.body.nodes as Array<{ name: string; active: string | null }>).map((n) => `${n.name}@${n.active ?? '-'}`))}`);
  } finally {
    await server.close();
    say('  closed the API server');
  }
}
