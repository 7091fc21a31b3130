/**
 * The fs adapter's guarantees across real OS processes: create-only and compare-and-swap hold
 * between processes, a lock left by a SIGKILLed process is recovered (a live one is not broken),
 * and a writer killed mid-write leaves the old or the new object, never a torn one.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsStorage } from '../../src/storage-adapters/fs.js';

const CHILD = fileURLToPath(new URL('./fixtures/fs-child.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const enc = new TextEncoder();
const dec = new TextDecoder();

interface Child {
  proc: ChildProcess;
  /** Resolves with the first event matching `pred`; rejects if the child reports an error or exits first. */
  next(pred: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

const children: Child[] = [];

function startChild(task: Record<string, unknown>): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(task)], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const events: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    events.push(JSON.parse(line) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => {
    for (const w of waiters.splice(0)) w();
    resolve(code);
  }));
  let ended = false;
  void exited.then(() => (ended = true));
  const child: Child = {
    proc,
    exited,
    next(pred) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const error = events.find((e) => 'error' in e);
          if (error) return reject(new Error(`child failed: ${String(error.error)}\n${stderr}`));
          const i = events.findIndex(pred);
          if (i >= 0) return resolve(events.splice(i, 1)[0]!);
          if (ended) return reject(new Error(`child exited without the expected event\n${stderr}`));
          waiters.push(check);
        };
        check();
      });
    },
  };
  children.push(child);
  return child;
}

async function go(all: Child[]): Promise<void> {
  await Promise.all(all.map((c) => c.next((e) => e.ready === true)));
  for (const c of all) c.proc.stdin!.write('go\n');
}

describe('FsStorage across OS processes', () => {
  let root: string;
  const adapters: FsStorage[] = [];

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'btree-plugins-fs-proc-'));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
      await c.exited;
    }
    await Promise.all(adapters.splice(0).map((a) => a.dispose()));
    await rm(root, { recursive: true, force: true });
  });

  it('create-only race between 4 processes: exactly one process wins each of 20 keys, and its bytes are stored', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `race/key-${i}`);
    const procs = Array.from({ length: 4 }, (_, id) => startChild({ mode: 'create-race', root, keys, id }));
    await go(procs);
    const results = await Promise.all(procs.map(async (c) => (await c.next((e) => 'results' in e)).results as Record<string, string>));
    const s = new FsStorage({ root });
    adapters.push(s);
    for (const key of keys) {
      const winners = results.flatMap((r, id) => (r[key] === 'won' ? [id] : []));
      expect(winners, key).toHaveLength(1);
      expect(results.filter((r) => r[key] === 'lost'), key).toHaveLength(3);
      expect(dec.decode((await s.get(key))!.body), key).toBe(`process-${winners[0]}`);
    }
  });

  it('compare-and-swap race between 4 processes × 2 clients × 10 increments ends at exactly 80', async () => {
    const key = 'race/counter.json';
    const procs = Array.from({ length: 4 }, () => startChild({ mode: 'cas', root, key, clients: 2, increments: 10 }));
    await go(procs);
    await Promise.all(procs.map((c) => c.next((e) => e.done === true)));
    const s = new FsStorage({ root });
    adapters.push(s);
    expect(JSON.parse(dec.decode((await s.get(key))!.body))).toEqual({ n: 80 });
  });

  it('stale-lock: a lock held by a live process is waited for, not broken; once its owner is SIGKILLed it is recovered', async () => {
    const s = new FsStorage({ root, lockStaleMs: 100, lockTimeoutMs: 20_000 });
    const impatient = new FsStorage({ root, lockStaleMs: 50, lockTimeoutMs: 500 });
    adapters.push(s, impatient);
    const v1 = await s.put('tenants/acme/index.json', enc.encode('v1'));

    const holder = startChild({ mode: 'hold-lock', root, key: 'tenants/acme/index.json' });
    await holder.next((e) => e.locked === true);
    // The owner is alive: even past lockStaleMs its lock is not broken; the writer gives up with a retryable error.
    await expect(impatient.put('tenants/acme/index.json', enc.encode('v2'), { ifMatch: v1.etag })).rejects.toMatchObject({
      name: 'StorageError',
      status: 'ELOCKED',
      retryable: true,
    });
    expect(dec.decode((await s.get('tenants/acme/index.json'))!.body)).toBe('v1');

    holder.proc.kill('SIGKILL');
    await holder.exited;
    const v3 = await s.put('tenants/acme/index.json', enc.encode('v3'), { ifMatch: v1.etag });
    const got = await s.get('tenants/acme/index.json');
    expect(dec.decode(got!.body)).toBe('v3');
    expect(got!.etag).toBe(v3.etag);
    expect((await readdir(join(root, 'tenants', 'acme'))).sort()).toEqual(['index.json#o']);
  });

  it('torn-write: a writer SIGKILLed mid-write leaves the old or the new object, never a torn one', async () => {
    const size = 2 * 1024 * 1024;
    const s = new FsStorage({ root });
    adapters.push(s);
    for (let round = 0; round < 3; round++) {
      const writer = startChild({ mode: 'write-loop', root, key: 'big/object', size });
      await writer.next((e) => e.wrote === 2);
      await new Promise((r) => setTimeout(r, Math.random() * 20));
      writer.proc.kill('SIGKILL');
      await writer.exited;
      const got = await s.get('big/object');
      expect(got!.body.byteLength).toBe(size);
      const first = got!.body[0]!;
      expect(got!.body.every((b) => b === first)).toBe(true);
      expect((await (async () => { const out = []; for await (const o of s.list('')) out.push(o); return out; })())).toEqual([
        { key: 'big/object', size },
      ]);
    }
  });
});
