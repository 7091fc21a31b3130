/**
 * The baseline the sandbox benchmarks compare against: the Tally node written as a plain
 * in-process class (what a host pays per tick without a sandbox), the same node's source for the
 * sandbox, a 1 KB blackboard, and the loader's esbuild settings.
 */
import { createHash } from 'node:crypto';
import * as esbuild from 'esbuild';
import type { JsonValue, RunnableBundle } from '../src/sandbox/types.js';

/** The Tally node as a tenant writes it. */
export const NODE_SOURCE = `
import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
export default class Tally extends ActionNode {
  async executeTick(ctx: any) {
    const n = (this.getInput(ctx, 'count', 0) as number) + 1;
    this.setOutput(ctx, 'count', n);
    return NodeStatus.SUCCESS;
  }
}`;

/** Compiles a node source the way the loader does. */
export async function bundle(source: string, node: string, tenantId: string): Promise<RunnableBundle> {
  const r = await esbuild.build({
    stdin: { contents: source, loader: 'ts', sourcefile: 'index.ts', resolveDir: '/' },
    bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', keepNames: true, write: false,
    external: ['@wayfarer-ai/btree', '@temporalio/workflow', '@wayfarer-ai/btree-plugins/sdk'],
    sourcemap: 'external', sourcesContent: true, outfile: 'bundle.js',
  });
  const code = r.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const sourceMap = r.outputFiles.find((f) => f.path.endsWith('.map'))!.text;
  return { tenantId, node, version: '1.0.0', code, sourceMap, sha256: createHash('sha256').update(code).digest('hex') };
}

/** Native baseline: the same node written against a minimal in-process ActionNode and blackboard. */
export class NativeBlackboard {
  private readonly data: Record<string, unknown>;
  constructor(data: Record<string, unknown>) { this.data = { ...data }; }
  get(k: string): unknown { return k in this.data ? this.data[k] : undefined; }
  set(k: string, v: unknown): void { this.data[k] = v; }
  getPort(k: string, d?: unknown): unknown { const v = this.get(k); return v === undefined ? d : v; }
  setPort(k: string, v: unknown): void { this.set(k, v); }
}
export class NativeActionNode {
  _status = 'IDLE';
  _lastError: string | undefined;
  constructor(protected config: Record<string, unknown>) {}
  protected getInput(ctx: { blackboard: NativeBlackboard }, key: string, d?: unknown): unknown {
    return ctx.blackboard.getPort((this.config[key] as string) || key, d);
  }
  protected setOutput(ctx: { blackboard: NativeBlackboard }, key: string, v: unknown): void {
    ctx.blackboard.setPort((this.config[key] as string) || key, v);
  }
  async tick(ctx: { blackboard: NativeBlackboard }): Promise<string> {
    try { const s = await this.executeTick(ctx); this._status = s; return s; } catch (e) { this._lastError = String(e); return 'FAILURE'; }
  }
  async executeTick(_ctx: { blackboard: NativeBlackboard }): Promise<string> { return 'FAILURE'; }
}
export class NativeTally extends NativeActionNode {
  override async executeTick(ctx: { blackboard: NativeBlackboard }): Promise<string> {
    const n = (this.getInput(ctx, 'count', 0) as number) + 1;
    this.setOutput(ctx, 'count', n);
    return 'SUCCESS';
  }
}

export function blackboard1k(): Record<string, JsonValue> {
  const bb: Record<string, JsonValue> = { count: 0 };
  for (let i = 0; JSON.stringify(bb).length < 1000; i++) bb[`key${i}`] = `value-${i}-${'x'.repeat(30)}`;
  return bb;
}

