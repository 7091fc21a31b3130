import { beforeAll, describe, expect, it } from 'vitest';
import { createTenantNodeClass, type TenantNodeClass, type TenantNodeSpec } from '../../src/btree/node-class.js';
import { PropsValidatorCache } from '../../src/btree/props-validator.js';
import type { NodeMetadata } from '../../src/binding-core/types.js';
import { fakeBundle, FakeRunner, type FakeBehaviour } from './fake-runner.js';
import { hostName, loadBtree, type SuiteBtree } from '../setup/btree-module.js';

let btree: SuiteBtree;
beforeAll(async () => {
  btree = await loadBtree();
});

const slackSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: { channel: { type: 'string', pattern: '^#' }, message: { type: 'string' }, retries: { type: 'integer', minimum: 0 } },
  required: ['channel', 'message'],
};

function make(behaviour: FakeBehaviour, options: { metadata?: Partial<NodeMetadata>; spec?: Partial<TenantNodeSpec>; name?: string } = {}) {
  const runner = new FakeRunner({ main: behaviour });
  const name = options.name ?? 'SendSlackMessage';
  let loads = 0;
  let failLoad = false;
  const cls = createTenantNodeClass(btree, {
    tenantId: 'acme',
    name,
    version: '1.0.0',
    sha256: 'abc',
    metadata: { category: 'action', ports: [], propsSchema: slackSchema, ...options.metadata },
    runner,
    loadBundle: async () => {
      loads++;
      if (failLoad) {
        failLoad = false;
        throw new Error('storage hiccup');
      }
      return fakeBundle('acme', name, '1.0.0', 'main');
    },
    validators: new PropsValidatorCache(),
    ...options.spec,
  });
  return { cls, runner, loads: () => loads, failNextLoad: () => void (failLoad = true) };
}

type Ctx = Parameters<InstanceType<TenantNodeClass>['tick']>[0] & { blackboard: InstanceType<SuiteBtree['ScopedBlackboard']> };

function ctx(entries: Record<string, unknown> = {}): Ctx {
  const blackboard = new btree.ScopedBlackboard();
  for (const [k, v] of Object.entries(entries)) blackboard.set(k, v);
  return { blackboard, treeRegistry: new btree.Registry(), timestamp: Date.now() } as unknown as Ctx;
}

const props = { id: 'notify', channel: '#alerts', message: 'hi' };

describe(`tenant node class (${hostName})`, () => {
  it('is named after the node, so btree reports it as the node type', () => {
    const { cls } = make(() => ({}));
    expect(cls.name).toBe('SendSlackMessage');
    const node = new cls(props);
    expect(node.type).toBe('SendSlackMessage');
    expect(node).toBeInstanceOf(btree.ActionNode);
    expect(cls.tenantNode).toEqual({ tenantId: 'acme', name: 'SendSlackMessage', version: '1.0.0', sha256: 'abc' });
  });

  it('extends ConditionNode for category condition', () => {
    const { cls } = make(() => ({}), { metadata: { category: 'condition', propsSchema: undefined }, name: 'IsBusinessHours' });
    expect(new cls({ id: 'c' })).toBeInstanceOf(btree.ConditionNode);
    expect(new cls({ id: 'c' })).not.toBeInstanceOf(btree.ActionNode);
  });

  it('bad props throw the host ConfigurationError listing every problem', () => {
    const { cls } = make(() => ({}));
    let err: unknown;
    try {
      new cls({ id: 'notify', channel: 'alerts', retries: -1, extra: () => 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(btree.ConfigurationError);
    expect((err as Error).name).toBe('ConfigurationError');
    expect((err as Error).message).toContain('Invalid configuration for SendSlackMessage@1.0.0:notify');
    expect((err as Error).message).toContain('  - extra: is not JSON data');
    expect((err as { hint?: string }).hint).toMatch(/props/);

    try {
      new cls({ id: 'notify', channel: 'alerts', retries: -1 });
    } catch (e) {
      err = e;
    }
    const message = (err as Error).message;
    expect(message).toContain('  - message: is required');
    expect(message).toContain('  - retries: must be >= 0');
    expect(message.split('\n')).toHaveLength(3);
  });

  it('catastrophic-backtracking props patterns: tenant regexes never run in the host (the sandbox checks them)', () => {
    const evil = { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } }, patternProperties: { '^(b+)+$': { type: 'string' } } };
    const { cls } = make(() => ({}), { metadata: { propsSchema: evil } });
    const hostile = 'a'.repeat(40) + '!';
    expect(() => new cls({ id: 'x', s: hostile, ['b'.repeat(40) + '!']: 'y' })).not.toThrow();
  });

  it('bad props fail the whole tree build through loadTreeFromYaml', () => {
    const { cls } = make(() => ({}));
    const registry = new btree.Registry();
    btree.registerStandardNodes(registry);
    registry.register('SendSlackMessage', cls as never, { category: 'action' });
    const yaml = 'type: Sequence\nid: root\nchildren:\n  - type: SendSlackMessage\n    id: n\n    props:\n      channel: 5\n';
    expect(() => btree.loadTreeFromYaml(yaml, registry)).toThrow(btree.ConfigurationError);
  });

  it('passes literal props and a JSON-safe copy of the blackboard; applies writes and deletes', async () => {
    const { cls, runner } = make(({ props: p, blackboard }) => ({
      writes: { sent: `${String(p.channel)}:${String(blackboard.orderId)}`, nested: { a: [1, 2] } },
      deletes: ['stale'],
    }));
    const c = ctx({ orderId: 42, stale: true, fn: () => 1, when: new Date(0), proxy: new Proxy({}, {}), nan: NaN, ok: { deep: [1, null, 'x'] } });
    const node = new cls(props);
    expect(await node.tick(c)).toBe(btree.NodeStatus.SUCCESS);
    const input = runner.calls[0]!.input;
    // btree's own id/name are not props (binding-core/node-props.ts); the guest gets them as nodeId/nodeName
    expect(input.props).toEqual({ channel: '#alerts', message: 'hi' });
    expect(input.nodeId).toBe('notify');
    expect(input.blackboard).toEqual({ orderId: 42, stale: true, ok: { deep: [1, null, 'x'] } });
    expect(c.blackboard.get('sent')).toBe('#alerts:42');
    expect(c.blackboard.get('nested')).toEqual({ a: [1, 2] });
    expect(c.blackboard.has('stale')).toBe(false);
    expect(node.status()).toBe(btree.NodeStatus.SUCCESS);
  });

  it('sees inherited keys of a scoped blackboard, and writes locally', async () => {
    const { cls } = make(({ blackboard }) => ({ writes: { echoed: blackboard.fromParent ?? null } }));
    const root = new btree.ScopedBlackboard();
    root.set('fromParent', 'p');
    const scope = root.createScope('child');
    const c = { blackboard: scope, treeRegistry: new btree.Registry(), timestamp: 0 };
    await new cls(props).tick(c as never);
    expect(scope.get('echoed')).toBe('p');
    expect(root.has('echoed')).toBe(false);
  });

  it('FAILURE sets lastError from the guest, or a default message', async () => {
    const { cls } = make(() => ({ status: 'FAILURE', error: 'Slack message failed: 500' }));
    const node = new cls(props);
    expect(await node.tick(ctx())).toBe(btree.NodeStatus.FAILURE);
    expect(node.lastError).toBe('Slack message failed: 500');
    expect(node.status()).toBe(btree.NodeStatus.FAILURE);
    const { cls: bare } = make(() => ({ status: 'FAILURE' }));
    const other = new bare(props);
    await other.tick(ctx());
    expect(other.lastError).toBe('SendSlackMessage@1.0.0 returned FAILURE');
  });

  it('a bundle load error becomes FAILURE with lastError (the host tick wrapper); the next tick loads again', async () => {
    const m = make(() => ({}));
    const node = new m.cls(props);
    m.failNextLoad();
    expect(await node.tick(ctx())).toBe(btree.NodeStatus.FAILURE);
    expect(node.lastError).toBe('storage hiccup');
    expect(await node.tick(ctx())).toBe(btree.NodeStatus.SUCCESS);
    expect(m.loads()).toBe(2);
  });

  it('RUNNING maps to the host RUNNING', async () => {
    const { cls } = make(() => ({ status: 'RUNNING' }));
    expect(await new cls(props).tick(ctx())).toBe(btree.NodeStatus.RUNNING);
  });

  it('clone() re-runs the constructor from config alone and the clone ticks', async () => {
    const { cls, runner } = make(() => ({ writes: { done: true } }));
    const node = new cls(props);
    const copy = (node as unknown as { clone(): InstanceType<typeof cls> }).clone();
    expect(copy).not.toBe(node);
    expect(copy.type).toBe('SendSlackMessage');
    const c = ctx();
    expect(await copy.tick(c)).toBe(btree.NodeStatus.SUCCESS);
    expect(runner.calls[0]!.input.props).toEqual({ channel: '#alerts', message: 'hi' });
  });

  it('a blackboard bigger than the input limit fails the tick without running the guest', async () => {
    const { cls, runner } = make(() => ({}), { spec: { maxBlackboardBytes: 100 } });
    const node = new cls(props);
    expect(await node.tick(ctx({ big: 'x'.repeat(200) }))).toBe(btree.NodeStatus.FAILURE);
    expect(node.lastError).toMatch(/^SendSlackMessage@1\.0\.0 exceeded its 100-byte blackboard input limit/);
    expect(runner.calls).toHaveLength(0);
  });

  it('forwards guest log lines to the logger, tagged with tenant, node and version', async () => {
    const lines: unknown[] = [];
    const logger = { info: (m: string, f?: unknown) => lines.push(['info', m, f]), warn: (m: string, f?: unknown) => lines.push(['warn', m, f]) };
    const { cls } = make(() => ({ logs: [{ level: 'info', message: 'sending' }, { level: 'error', message: 'oops' }] }), { spec: { logger, forwardGuestLogs: true } });
    await new cls(props).tick(ctx());
    const fields = { tenantId: 'acme', node: 'SendSlackMessage', version: '1.0.0' };
    expect(lines).toEqual([['info', 'sending', fields], ['warn', 'oops', fields]]);
  });
});

describe(`hostile blackboard keys (${hostName})`, () => {
  const hostile: Array<[string, FakeBehaviour]> = [
    ['__proto__ write', () => ({ writes: JSON.parse('{"ok":1,"__proto__":{"polluted":"yes"}}') as Record<string, never> })],
    ['constructor write', () => ({ writes: { ok: 1, constructor: 'x' } })],
    ['prototype write', () => ({ writes: { ok: 1, prototype: 'x' } })],
    ['toString write', () => ({ writes: { ok: 1, toString: 'x' } })],
    ['empty key write', () => ({ writes: { ok: 1, '': 'x' } })],
    ['nested __proto__ write', () => ({ writes: JSON.parse('{"ok":{"__proto__":{"polluted":"yes"}}}') as Record<string, never> })],
    ['__proto__ delete', () => ({ writes: { ok: 1 }, deletes: ['__proto__'] })],
    ['hasOwnProperty delete', () => ({ writes: { ok: 1 }, deletes: ['hasOwnProperty'] })],
  ];
  for (const [title, behaviour] of hostile) {
    it(`rejects a ${title}: FAILURE, nothing applied, blackboard intact`, async () => {
      const { cls } = make(behaviour);
      const node = new cls(props);
      const c = ctx({ keep: 1 });
      expect(await node.tick(c)).toBe(btree.NodeStatus.FAILURE);
      expect(node.lastError).toMatch(/^SendSlackMessage@1\.0\.0 failed: it (wrote|deleted) .*none of its writes were applied$/);
      expect(c.blackboard.has('ok')).toBe(false);
      expect(c.blackboard.get('polluted')).toBeUndefined();
      expect(c.blackboard.toJSON()).toEqual({ keep: 1 });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('Proxy objects and getters as blackboard values: never copied, no trap or getter runs', async () => {
    const { cls, runner } = make(() => ({}));
    const trapped: string[] = [];
    const handler: ProxyHandler<object> = new Proxy({}, { get: (_t, trap) => (trapped.push(String(trap)), undefined) });
    let getterRan = false;
    const c = ctx({
      proxy: new Proxy({ a: 1 }, handler),
      nestedProxy: { inner: new Proxy([1], handler) },
      getter: Object.defineProperty({}, 'x', { enumerable: true, get: () => ((getterRan = true), 1) }),
      fine: { a: [1] },
    });
    await new cls(props).tick(c);
    expect(runner.calls[0]!.input.blackboard).toEqual({ fine: { a: [1] } });
    expect(trapped).toEqual([]);
    expect(getterRan).toBe(false);
  });

  it('does not hand reserved or prototype-swapping keys to the guest', async () => {
    const { cls, runner } = make(() => ({}));
    const c = ctx({ fine: 1 });
    c.blackboard.set('__proto__', { polluted: 'yes' });
    await new cls(props).tick(c);
    expect(runner.calls[0]!.input.blackboard).toEqual({ fine: 1 });
  });
});
