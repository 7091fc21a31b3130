/**
 * The storage conformance suite: one behavioural contract that every adapter (memory, fs, s3, gcs)
 * must pass against a real backend. An adapter's test file calls {@link describeStorageConformance}
 * with a {@link ConformanceTarget} that knows how to make fresh adapters.
 *
 * Every test works in its own `space` (a fresh bucket / root directory / MemoryBackend), so tests
 * never see each other's data. Space names are valid S3/GCS bucket names.
 *
 * @example
 * ```ts
 * describeStorageConformance({
 *   name: 'memory',
 *   async create({ space, prefix }) { return new MemoryStorage({ backend: backendFor(space), prefix }); },
 * });
 * ```
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InvalidKeyError, isBtreePluginsError } from '../../src/errors.js';
import type { StorageAdapter } from '../../src/storage-adapters/types.js';

/** How the conformance suite gets adapters of one backend. */
export interface ConformanceTarget {
  /** e.g. 'memory', 'fs', 's3', 'gcs' — used in describe() titles */
  name: string;
  /** A fresh adapter. Calls with the same `space` share one backend (same bucket / root dir / MemoryBackend);
   *  a new space is empty. `prefix` is the adapter's prefix option. */
  create(options: { space: string; prefix?: string }): Promise<StorageAdapter>;
  /** Release anything create() made (buckets may be left; dirs removed). Optional. */
  cleanup?(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Keys the grammar must reject, with why. Each must fail with InvalidKeyError before any I/O. */
export const HOSTILE_KEYS: ReadonlyArray<[label: string, key: string]> = [
  ['parent traversal', '../x'],
  ['nested parent traversal', 'a/../../x'],
  ['dot-dot alone', '..'],
  ['dot segment', './a'],
  ['inner dot segment', 'a/./b'],
  ['doubled slash', 'a//b'],
  ['leading slash', '/a'],
  ['absolute path', '/etc/passwd'],
  ['trailing slash', 'a/'],
  ['empty key', ''],
  ['NUL byte', 'a\u0000b'],
  ['NUL after a valid key', 'a\u0000/../../x'],
  ['newline', 'a\nb'],
  ['carriage return', 'a\rb'],
  ['tab', 'a\tb'],
  ['escape char', 'a\u001bb'],
  ['DEL', 'a\u007fb'],
  ['C1 control', 'a\u0085b'],
  ['backslash', 'a\\b'],
  ['backslash traversal', '..\\x'],
  ['2,000-char key', 'k'.repeat(2_000)],
  ['201-byte segment', `a/${'s'.repeat(201)}`],
  ['unpaired high surrogate', 'a/\ud800'],
  ['unpaired low surrogate', '\udc00b'],
];

/** `list()` prefixes the grammar must reject. */
export const HOSTILE_PREFIXES: ReadonlyArray<[label: string, prefix: string]> = [
  ['no trailing slash', 'p'],
  ['slash only', '/'],
  ['leading slash', '/p/'],
  ['parent traversal', '../'],
  ['dot segment', './'],
  ['traversal inside', 'a/../'],
  ['doubled slash', 'a//'],
  ['NUL byte', 'p\u0000/'],
  ['backslash', 'p\\/'],
  ['2,000-char prefix', `${'p'.repeat(2_000)}/`],
  ['unpaired surrogate', '\ud800/'],
];

/**
 * Keys that ARE valid and must be storable side by side, without collisions: odd characters,
 * a key that is also a "folder" of other keys, case and Unicode-normalisation twins, names that
 * look like an adapter's internal files, and maximal segment and key lengths.
 */
export const ODD_VALID_KEYS: readonly string[] = [
  'a',
  'a/b',
  'a/b/c',
  'A',
  'a/B',
  'Case/X',
  'case/x',
  'CASE/x',
  'caf\u00e9', // NFC é
  'cafe\u0301', // NFD é: a different key
  'sp ace/tab\u00a0nbsp',
  '\u00fc\u00f1\u00ef/\u00e7\u00f8d\u00e9',
  '\u65e5\u672c\u8a9e/\u30ad\u30fc',
  '\u{1f389}/party',
  '...',
  '.hidden',
  '.hidden/.x',
  '-dash',
  '_under',
  'a:b',
  'q?x=1&y=2',
  '%2e%2e',
  '%2F',
  '#hash',
  'x#o',
  'x#l',
  'x#t.1.abc',
  '#h0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  '^caret',
  '~tilde',
  `quote'"`,
  'star*',
  'semi;colon',
  'x'.repeat(200),
  `seg/${'\u00e9'.repeat(100)}`,
  `seg/${'\u20ac'.repeat(66)}`,
  `seg/${'%'.repeat(200)}`,
  `seg/${'A'.repeat(200)}`,
  // 1,024 bytes exactly: 5 × 200 + 4 slashes + '/' + 19.
  [...Array.from({ length: 5 }, (_, i) => String(i).repeat(200)), 'z'.repeat(19)].join('/'),
];

function uniqueSpace(label: string): string {
  const rand = randomBytes(5).toString('hex');
  return `${label}-${rand}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(-50)
    .replace(/^-+/, 'x');
}

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function sha256(a: Uint8Array): string {
  return createHash('sha256').update(a).digest('hex');
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return results;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function expectRejects(promise: Promise<unknown>, name: string): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error(`expected a ${name}, but the call succeeded`);
  if (!isBtreePluginsError(error, name)) {
    throw new Error(`expected a ${name}, got ${(error as Error)?.name}: ${(error as Error)?.message}`, { cause: error });
  }
  return error;
}

function expectPrecondition(error: unknown, adapterName: string, key: string): void {
  expect(isBtreePluginsError(error, 'PreconditionFailedError')).toBe(true);
  const e = error as { adapter?: unknown; key?: unknown; message: string };
  expect(e.adapter).toBe(adapterName);
  expect(e.key).toBe(key);
  expect(e.message).toContain(`adapter=${adapterName}`);
}

/**
 * Registers the conformance suite for one backend. Call it at the top level of a test file.
 */
export function describeStorageConformance(target: ConformanceTarget): void {
  describe(`storage conformance: ${target.name}`, () => {
    const opened: StorageAdapter[] = [];

    /** A fresh adapter, disposed after the test. */
    async function open(space: string, prefix?: string): Promise<StorageAdapter> {
      const adapter = await target.create(prefix === undefined ? { space } : { space, prefix });
      opened.push(adapter);
      return adapter;
    }

    afterEach(async () => {
      const adapters = opened.splice(0);
      // Dispose everything; a second dispose() of an already disposed adapter must be harmless.
      await Promise.all(adapters.map((a) => a.dispose()));
    });

    afterAll(async () => {
      await target.cleanup?.();
    });

    it('names a key as a URL of its backend (prefix included), and refuses a key outside the grammar', async () => {
      const adapter = await open(uniqueSpace('object-url'), 'host-a/');
      const url = adapter.objectUrl!('tenants/acme/bundle.js');
      const scheme: Record<string, RegExp> = { memory: /^memory:\/\/\//, fs: /^file:\/\/\//, s3: /^s3:\/\/[^/]+\//, gcs: /^gs:\/\/[^/]+\// };
      expect(url).toMatch(scheme[adapter.name]!);
      expect(url.endsWith('host-a/tenants/acme/bundle.js')).toBe(true);
      expect(() => adapter.objectUrl!('../escape')).toThrow(InvalidKeyError);
    });

    it('round-trips binary bodies (empty, 1 byte, all 256 byte values, 5 MB) with a new etag on every write', async () => {
      const s = await open(uniqueSpace('roundtrip'));
      const all256 = Uint8Array.from({ length: 256 }, (_, i) => i);
      const bodies: Array<[string, Uint8Array]> = [
        ['empty', new Uint8Array(0)],
        ['one byte', Uint8Array.of(0)],
        ['all 256 byte values', all256],
        ['5 MB', new Uint8Array(randomBytes(5 * 1024 * 1024))],
        ['all 256 byte values reversed', all256.slice().reverse()],
      ];
      const etags = new Set<string>();
      for (const [label, body] of bodies) {
        // Each body under its own key, and all of them in turn under one shared key.
        for (const key of [`bin/${label.replace(/ /g, '-')}`, 'bin/shared']) {
          const put = await s.put(key, body);
          expect(typeof put.etag, label).toBe('string');
          expect(put.etag.length, label).toBeGreaterThan(0);
          etags.add(`${key}:${put.etag}`);
          const got = await s.get(key);
          expect(got, label).toBeDefined();
          expect(got!.body, label).toBeInstanceOf(Uint8Array);
          expect(got!.body.byteLength, label).toBe(body.byteLength);
          expect(sha256(got!.body), label).toBe(sha256(body));
          expect(got!.etag, label).toBe(put.etag);
        }
      }
      // The shared key was written 5 times with different bytes: 5 different etags.
      const sharedEtags = [...etags].filter((e) => e.startsWith('bin/shared:'));
      expect(sharedEtags).toHaveLength(bodies.length);
    });

    it('keeps its own copy of the bytes: mutating the input or a read result changes nothing stored', async () => {
      const s = await open(uniqueSpace('copies'));
      const body = bytes('original');
      await s.put('copy/me', body);
      body.fill(0x21);
      const first = await s.get('copy/me');
      expect(decoder.decode(first!.body)).toBe('original');
      first!.body.fill(0x22);
      expect(decoder.decode((await s.get('copy/me'))!.body)).toBe('original');
    });

    it('returns undefined for an absent key, including one whose "folder" exists, and after delete', async () => {
      const s = await open(uniqueSpace('absent'));
      expect(await s.get('never/written')).toBeUndefined();
      await s.put('folder/child', bytes('x'));
      expect(await s.get('folder')).toBeUndefined();
      expect(await s.get('folder/child/grandchild')).toBeUndefined();
      await s.delete('folder/child');
      expect(await s.get('folder/child')).toBeUndefined();
      expect(await collect(s.list(''))).toEqual([]);
    });

    it('create-only race: exactly one of 20 concurrent clients wins, 19 get PreconditionFailedError, the winner\'s bytes are stored', async () => {
      const space = uniqueSpace('create-race');
      const clients = await Promise.all(Array.from({ length: 20 }, () => open(space)));
      const key = 'race/create-only';
      const results = await Promise.allSettled(
        clients.map((c, i) => c.put(key, bytes(`writer-${i}`), { ifNoneMatch: '*' })),
      );
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, etag: r.value.etag }] : []));
      const losers = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(19);
      for (const e of losers) expectPrecondition(e, clients[0]!.name, key);
      const stored = await clients[5]!.get(key);
      expect(decoder.decode(stored!.body)).toBe(`writer-${winners[0]!.i}`);
      expect(stored!.etag).toBe(winners[0]!.etag);
    });

    it('create-only on an existing key fails and leaves the object unchanged', async () => {
      const s = await open(uniqueSpace('create-existing'));
      const first = await s.put('k', bytes('first'), { ifNoneMatch: '*' });
      expectPrecondition(await expectRejects(s.put('k', bytes('second'), { ifNoneMatch: '*' }), 'PreconditionFailedError'), s.name, 'k');
      const got = await s.get('k');
      expect(decoder.decode(got!.body)).toBe('first');
      expect(got!.etag).toBe(first.etag);
    });

    it('compare-and-swap race: 20 clients × 10 read-modify-write increments end at exactly 200', async () => {
      const space = uniqueSpace('cas-race');
      const clients = await Promise.all(Array.from({ length: 20 }, () => open(space)));
      const key = 'race/counter.json';
      let conflicts = 0;
      async function increment(c: StorageAdapter): Promise<void> {
        for (let attempt = 1; ; attempt++) {
          if (attempt > 5_000) throw new Error('no progress after 5,000 attempts');
          const current = await c.get(key);
          const n = current ? (JSON.parse(decoder.decode(current.body)) as { n: number }).n : 0;
          const next = bytes(JSON.stringify({ n: n + 1 }));
          try {
            await c.put(key, next, current ? { ifMatch: current.etag } : { ifNoneMatch: '*' });
            return;
          } catch (e) {
            if (!isBtreePluginsError(e, 'PreconditionFailedError')) throw e;
            conflicts++;
            // Jittered backoff so that 20 clients do not retry in lockstep.
            await sleep(Math.random() * Math.min(20, attempt));
          }
        }
      }
      await Promise.all(
        clients.map(async (c) => {
          for (let i = 0; i < 10; i++) await increment(c);
        }),
      );
      const final = await clients[0]!.get(key);
      expect(JSON.parse(decoder.decode(final!.body))).toEqual({ n: 200 });
      // Not a timing assertion: with 20 concurrent clients at least the first create must conflict.
      expect(conflicts).toBeGreaterThan(0);
    });

    it('compare-and-swap with a stale etag fails and keeps the newer value', async () => {
      const s = await open(uniqueSpace('cas-stale'));
      const v1 = await s.put('doc', bytes('v1'));
      const v2 = await s.put('doc', bytes('v2'), { ifMatch: v1.etag });
      expect(v2.etag).not.toBe(v1.etag);
      expectPrecondition(await expectRejects(s.put('doc', bytes('v3'), { ifMatch: v1.etag }), 'PreconditionFailedError'), s.name, 'doc');
      const got = await s.get('doc');
      expect(decoder.decode(got!.body)).toBe('v2');
      expect(got!.etag).toBe(v2.etag);
      // A made-up etag fails too.
      await expectRejects(s.put('doc', bytes('v4'), { ifMatch: 'not-an-etag' }), 'PreconditionFailedError');
      expect(decoder.decode((await s.get('doc'))!.body)).toBe('v2');
    });

    it('ifMatch on an absent key fails, for put and for delete, and creates nothing', async () => {
      const s = await open(uniqueSpace('ifmatch-absent'));
      const e1 = await expectRejects(s.put('ghost', bytes('x'), { ifMatch: 'anything' }), 'PreconditionFailedError');
      expectPrecondition(e1, s.name, 'ghost');
      const e2 = await expectRejects(s.delete('ghost', { ifMatch: 'anything' }), 'PreconditionFailedError');
      expectPrecondition(e2, s.name, 'ghost');
      expect(await s.get('ghost')).toBeUndefined();
      // An etag that was valid once is not valid after delete.
      const put = await s.put('ghost', bytes('x'));
      await s.delete('ghost');
      await expectRejects(s.put('ghost', bytes('y'), { ifMatch: put.etag }), 'PreconditionFailedError');
      expect(await s.get('ghost')).toBeUndefined();
    });

    it('conditional delete removes the key only with its current etag', async () => {
      const s = await open(uniqueSpace('cond-delete'));
      const v1 = await s.put('d', bytes('v1'));
      const v2 = await s.put('d', bytes('v2'));
      expectPrecondition(await expectRejects(s.delete('d', { ifMatch: v1.etag }), 'PreconditionFailedError'), s.name, 'd');
      expect(decoder.decode((await s.get('d'))!.body)).toBe('v2');
      await s.delete('d', { ifMatch: v2.etag });
      expect(await s.get('d')).toBeUndefined();
      // Unconditional delete of an absent key succeeds.
      await s.delete('d');
      await s.delete('never/existed');
      // The key can be created again after delete.
      await s.put('d', bytes('v3'), { ifNoneMatch: '*' });
      expect(decoder.decode((await s.get('d'))!.body)).toBe('v3');
    });

    it('lists 1,100 keys across pages by prefix, each once, with no sibling prefix leaking in', async () => {
      const s = await open(uniqueSpace('list'));
      const many = Array.from({ length: 1_100 }, (_, i) => `p/k${String(i).padStart(4, '0')}`);
      const others = ['p/a', 'p/a/1', 'p/a/2', 'p/ab/1', 'p/ab', 'p2/x', 'p2/y/z', 'px', 'q/p/k0000'];
      const all = [...many, ...others];
      await mapLimit(all, 16, (key) => s.put(key, bytes(key)));

      const underP = await collect(s.list('p/'));
      const underPKeys = underP.map((o) => o.key);
      expect(underPKeys).toHaveLength(new Set(underPKeys).size); // each key once
      expect(new Set(underPKeys)).toEqual(new Set([...many, 'p/a', 'p/a/1', 'p/a/2', 'p/ab/1', 'p/ab']));
      for (const o of underP) expect(o.size, o.key).toBe(utf8(o.key));

      expect(new Set((await collect(s.list('p/a/'))).map((o) => o.key))).toEqual(new Set(['p/a/1', 'p/a/2']));
      expect(new Set((await collect(s.list('p/ab/'))).map((o) => o.key))).toEqual(new Set(['p/ab/1']));
      expect(new Set((await collect(s.list('p2/'))).map((o) => o.key))).toEqual(new Set(['p2/x', 'p2/y/z']));
      expect(new Set((await collect(s.list('q/'))).map((o) => o.key))).toEqual(new Set(['q/p/k0000']));
      expect(await collect(s.list('nothing/'))).toEqual([]);
      expect(await collect(s.list('p/k0000/'))).toEqual([]);
      const everything = (await collect(s.list(''))).map((o) => o.key);
      expect(everything).toHaveLength(all.length);
      expect(new Set(everything)).toEqual(new Set(all));
    });

    it('stores every valid odd key side by side without collisions (file/folder twins, case, Unicode, maximal lengths)', async () => {
      const s = await open(uniqueSpace('odd-keys'));
      await mapLimit(ODD_VALID_KEYS, 8, (key) => s.put(key, bytes(`body of ${key}`), { ifNoneMatch: '*' }));
      for (const key of ODD_VALID_KEYS) {
        const got = await s.get(key);
        expect(got, key).toBeDefined();
        expect(decoder.decode(got!.body), key).toBe(`body of ${key}`);
      }
      const listed = await collect(s.list(''));
      expect(listed.map((o) => o.key).sort()).toEqual([...ODD_VALID_KEYS].sort());
      for (const o of listed) expect(o.size, o.key).toBe(utf8(`body of ${o.key}`));
      // Listing a "folder" that is also a key returns only its children.
      expect(new Set((await collect(s.list('a/'))).map((o) => o.key))).toEqual(new Set(['a/b', 'a/b/c', 'a/B']));
      expect((await collect(s.list('case/'))).map((o) => o.key)).toEqual(['case/x']);
    });

    it('rejects hostile keys with InvalidKeyError before any I/O (get, put, conditional put, delete)', async () => {
      const s = await open(uniqueSpace('hostile'));
      for (const [label, key] of HOSTILE_KEYS) {
        for (const call of [
          () => s.get(key),
          () => s.put(key, bytes('x')),
          () => s.put(key, bytes('x'), { ifNoneMatch: '*' }),
          () => s.put(key, bytes('x'), { ifMatch: 'e' }),
          () => s.delete(key),
          () => s.delete(key, { ifMatch: 'e' }),
        ]) {
          const e = await expectRejects(call(), 'InvalidKeyError').catch((err: Error) => {
            throw new Error(`${label}: ${err.message}`);
          });
          expect((e as Error).message.length, label).toBeLessThan(600);
        }
      }
      expect(await collect(s.list(''))).toEqual([]);
    });

    it('rejects hostile list prefixes with InvalidKeyError', async () => {
      const s = await open(uniqueSpace('hostile-list'));
      await s.put('p/x', bytes('x'));
      for (const [label, prefix] of HOSTILE_PREFIXES) {
        await expectRejects(collect(s.list(prefix)), 'InvalidKeyError').catch((err: Error) => {
          throw new Error(`${label}: ${err.message}`);
        });
      }
    });

    it('two adapters with different prefixes on one space never see each other\'s keys', async () => {
      const space = uniqueSpace('prefixes');
      const a = await open(space, 'host-a/');
      const b = await open(space, 'host-ab/');
      const a2 = await open(space, 'host-a/');
      const pa = await a.put('k', bytes('from a'));
      const pb = await b.put('k', bytes('from b'));
      await a.put('dir/k', bytes('a dir'));
      await b.put('dir/other', bytes('b dir'));

      expect(decoder.decode((await a.get('k'))!.body)).toBe('from a');
      expect(decoder.decode((await b.get('k'))!.body)).toBe('from b');
      expect(await a.get('dir/other')).toBeUndefined();
      expect(await b.get('dir/k')).toBeUndefined();
      // Another adapter with the same prefix sees the same keys.
      expect(decoder.decode((await a2.get('k'))!.body)).toBe('from a');

      expect(new Set((await collect(a.list(''))).map((o) => o.key))).toEqual(new Set(['k', 'dir/k']));
      expect(new Set((await collect(b.list(''))).map((o) => o.key))).toEqual(new Set(['k', 'dir/other']));
      expect((await collect(a.list('dir/'))).map((o) => o.key)).toEqual(['dir/k']);

      // Create-only does not see the other prefix's object; CAS with the other's etag fails.
      await expectRejects(a.put('k', bytes('x'), { ifNoneMatch: '*' }), 'PreconditionFailedError');
      await b.put('only-b', bytes('b'), { ifNoneMatch: '*' });
      await a.put('only-b', bytes('a'), { ifNoneMatch: '*' });
      expect(pa.etag).not.toBe(pb.etag);
      await expectRejects(a.put('k', bytes('x'), { ifMatch: pb.etag }), 'PreconditionFailedError');

      await a.delete('k');
      expect(await a.get('k')).toBeUndefined();
      expect(decoder.decode((await b.get('k'))!.body)).toBe('from b');
      await expectRejects(b.delete('dir/other', { ifMatch: pa.etag }), 'PreconditionFailedError');
      expect(await b.get('dir/other')).toBeDefined();
    });

    it('counts the adapter prefix against the key length limit', async () => {
      const space = uniqueSpace('prefix-limit');
      const prefix = `${'p'.repeat(100)}/`;
      const s = await open(space, prefix);
      // 1,000 bytes is fine alone, but not behind a 101-byte prefix.
      const key = [...Array.from({ length: 4 }, () => 'k'.repeat(200)), 'k'.repeat(196)].join('/');
      expect(utf8(key)).toBe(1_000);
      await expectRejects(s.put(key, bytes('x')), 'InvalidKeyError');
      await expectRejects(s.get(key), 'InvalidKeyError');
    });

    it('rejects an invalid prefix option', async () => {
      for (const prefix of ['no-slash', '/abs/', '../up/', 'a//b/']) {
        const error = await target.create({ space: uniqueSpace('bad-prefix'), prefix }).then(
          async (adapter) => {
            await adapter.dispose();
            return undefined;
          },
          (e: unknown) => e,
        );
        expect(isBtreePluginsError(error, 'InvalidKeyError'), prefix).toBe(true);
      }
    });

    it('throws DisposedError on use after dispose; dispose twice is harmless', async () => {
      const space = uniqueSpace('disposed');
      const s = await open(space);
      await s.put('k', bytes('x'));
      await s.dispose();
      await s.dispose();
      await expectRejects(s.get('k'), 'DisposedError');
      await expectRejects(s.put('k', bytes('y')), 'DisposedError');
      await expectRejects(s.put('k', bytes('y'), { ifNoneMatch: '*' }), 'DisposedError');
      await expectRejects(s.delete('k'), 'DisposedError');
      await expectRejects(collect(s.list('')), 'DisposedError');
      // Disposing one client does not touch the data: a live adapter on the same space reads it.
      const again = await open(space);
      expect(decoder.decode((await again.get('k'))!.body)).toBe('x');
    });
  });
}

function utf8(s: string): number {
  return encoder.encode(s).byteLength;
}
