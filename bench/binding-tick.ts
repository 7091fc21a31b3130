/**
 * A custom-node tick as a host feels it, through the binding (issue 18; goal: overhead ≤ 20 µs with a
 * 2 KB blackboard, inline). Run: npm run bench -- binding-tick
 *
 * One process, one btree host (the test host, or the real btree build named by `BTREE_MODULE`), one
 * blackboard per size. The baseline is a native btree node doing the same work (the `Tally`: read
 * `count`, write `count + 1`) ticked on the same blackboard; the figure is the median over alternating
 * rounds of (tenant tick − native tick), process CPU µs per tick. Each tick changes one key (`count`),
 * as a tree does.
 *
 * Also printed, measured in the same run: the floor any in-process tick pays in isolated-vm whatever
 * the library does around it — two synchronous calls with a timeout, one of which ends with the
 * rejection that shields the host from tenant rejections (docs/security.md) — so that the part of the
 * overhead the library controls is visible.
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import type { BtreeModule } from '../src/binding-core/host-btree.js';
import { createTenantNodeClass } from '../src/btree/node-class.js';
import { isolatedVm } from '../src/platform/isolated-vm.js';
import { SandboxPool } from '../src/sandbox/pool.js';
import * as testHost from '../src/testing/index.js';
import { bundle, NODE_SOURCE } from './native-node.js';
import { median, timePerCall } from './stats.js';

type Host = BtreeModule & Pick<typeof testHost, 'ScopedBlackboard'>;

async function loadHost(): Promise<{ host: Host; name: string }> {
  const file = process.env.BTREE_MODULE;
  if (!file) {
    testHost.setTestHostLogging(false);
    return { host: testHost as unknown as Host, name: 'test host' };
  }
  const real = (await import(pathToFileURL(file).href)) as Host;
  console.log = () => {}; // the real btree logs every tick
  return { host: real, name: `btree module ${file}` };
}

function blackboardOf(host: Host, bytes: number): InstanceType<Host['ScopedBlackboard']> {
  const data: Record<string, unknown> = { count: 0 };
  for (let i = 0; JSON.stringify(data).length < bytes; i++) data[`key${i}`] = `value-${i}-${'x'.repeat(30)}`;
  const board = new host.ScopedBlackboard();
  for (const [k, v] of Object.entries(data)) board.set(k, v);
  return board;
}

/** µs of CPU per call for the floor: an empty call with a timeout, and one ending with a rejection. */
function isolateFloor(n: number): { call: number; rejecting: number } {
  const ivm = isolatedVm();
  const iso = new ivm.Isolate({ memoryLimit: 32 });
  const ctx = iso.createContextSync();
  type Fn = { applySync(t: undefined, a: unknown[], o: { timeout: number }): unknown };
  const fn = (src: string): Fn => iso.compileScriptSync(src).runSync(ctx, { reference: true }) as Fn;
  const call = fn('(function (a) { return a; })');
  const rejecting = fn('(function (a) { Promise.reject("marker"); })');
  const per = (f: () => void): number => {
    for (let i = 0; i < 2000; i++) f();
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / n;
  };
  const o = { timeout: 100 };
  const result = {
    call: per(() => call.applySync(undefined, [1], o)),
    rejecting: per(() => {
      try {
        rejecting.applySync(undefined, [1], o);
      } catch {
        /* the marker */
      }
    }),
  };
  iso.dispose();
  return result;
}

async function main(): Promise<void> {
  const { host, name } = await loadHost();
  const N = Number(process.env.BENCH_TICKS ?? 10_000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
  const pool = new SandboxPool({ maxIsolates: 10 });
  const b = await bundle(NODE_SOURCE, 'Tally', 'bench');
  const Tenant = createTenantNodeClass(host, {
    tenantId: 'bench', name: 'Tally', version: '1.0.0', sha256: b.sha256,
    metadata: { category: 'action', ports: [] }, loadBundle: async () => b, runner: pool,
  });
  type Ctx = Parameters<InstanceType<typeof Tenant>['tick']>[0];
  class NativeTally extends (host.ActionNode as unknown as new (c: { id: string }) => { getInput(c: Ctx, k: string, d?: unknown): unknown; setOutput(c: Ctx, k: string, v: unknown): void }) {
    async executeTick(ctx: Ctx): Promise<string> {
      this.setOutput(ctx, 'count', (this.getInput(ctx, 'count', 0) as number) + 1);
      return 'SUCCESS';
    }
  }
  console.log(`host: ${name}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores; ${N} ticks × ${rounds} alternating rounds`);
  const floor = isolateFloor(50_000);
  console.log(`isolated-vm floor: a call with a timeout ${floor.call.toFixed(2)} µs, one ending with the shielding rejection ${floor.rejecting.toFixed(2)} µs → two calls ≥ ${(floor.call + floor.rejecting).toFixed(2)} µs per tick`);
  for (const size of [16, 1000, 2000]) {
    const board = blackboardOf(host, size);
    const ctx = { blackboard: board, timestamp: Date.now() } as unknown as Ctx;
    const native = new NativeTally({ id: 'native' }) as unknown as { tick(c: Ctx): Promise<string> };
    const tenant = new Tenant({ id: 'tenant' });
    const nativeTick = (): Promise<string> => native.tick(ctx);
    const tenantTick = async (): Promise<void> => {
      if ((await tenant.tick(ctx)) !== 'SUCCESS') throw new Error(tenant.lastError);
    };
    const nat: number[] = [];
    const ten: number[] = [];
    const over: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const a = await timePerCall(N, nativeTick);
      const t = await timePerCall(N, tenantTick);
      nat.push(a.cpu);
      ten.push(t.cpu);
      over.push(t.cpu - a.cpu);
    }
    const bytes = JSON.stringify(board.toJSON()).length;
    const goal = size === 2000 ? ' (goal ≤ 20 µs)' : '';
    console.log(
      `blackboard ${String(bytes).padStart(4)} B: native ${median(nat).toFixed(2)} µs, tenant ${median(ten).toFixed(2)} µs, overhead ${median(over).toFixed(2)} µs CPU per tick${goal}; ` +
        `rounds ${over.map((x) => x.toFixed(1)).join(' ')}`,
    );
  }
  await pool.dispose();
  await esbuild.stop();
}

await main();
