/**
 * Demo step 1: the storage contract on the filesystem adapter — write, list, conditional update
 * (create-only, compare-and-swap, a stale etag refused) and read back.
 *
 * @module
 */
import { PreconditionFailedError, type StorageAdapter } from '../../src/index.js';
import { firstLine, say, show } from './print.js';

const text = (s: string) => new TextEncoder().encode(s);
const read = (b: Uint8Array) => new TextDecoder().decode(b);

/** Runs step 1 on `storage` (its keys live under `demo/`). */
export async function storageStep(storage: StorageAdapter): Promise<void> {
  // The run counter survives across runs: it shows that the store is durable, and it is itself a
  // read-modify-write with compare-and-swap.
  const runs = await bumpRunCounter(storage);
  show('demo/runs.json (create-only on the first run, CAS after)', `this store has seen ${runs} demo run(s)`);

  // Start from a clean slate so every run prints the same story.
  await storage.delete('demo/greeting.txt');
  await storage.delete('demo/notes/today.txt');

  const first = await storage.put('demo/greeting.txt', text('hello from run ' + runs), { ifNoneMatch: '*' });
  show('put demo/greeting.txt (create-only)', `stored, etag ${first.etag}`);
  try {
    await storage.put('demo/greeting.txt', text('second writer'), { ifNoneMatch: '*' });
    throw new Error('a second create-only put of demo/greeting.txt succeeded; create-only is broken');
  } catch (e) {
    if (!(e instanceof PreconditionFailedError)) throw e;
    show('put demo/greeting.txt again (create-only)', `refused as expected: ${firstLine(e)}`);
  }

  const second = await storage.put('demo/greeting.txt', text('hello again (updated with CAS)'), { ifMatch: first.etag });
  show('put demo/greeting.txt (CAS with its etag)', `updated, etag ${first.etag} -> ${second.etag}`);
  try {
    await storage.put('demo/greeting.txt', text('lost update'), { ifMatch: first.etag });
    throw new Error('a CAS with a stale etag succeeded; compare-and-swap is broken');
  } catch (e) {
    if (!(e instanceof PreconditionFailedError)) throw e;
    show('put demo/greeting.txt (CAS with the stale etag)', `refused as expected: ${firstLine(e)}`);
  }

  await storage.put('demo/notes/today.txt', text('storage works'));
  const keys: string[] = [];
  for await (const o of storage.list('demo/')) keys.push(`${o.key} (${o.size} B)`);
  show('list demo/', keys.sort().join(', '));

  const got = await storage.get('demo/greeting.txt');
  if (!got) throw new Error('demo/greeting.txt vanished');
  show('get demo/greeting.txt', `${JSON.stringify(read(got.body))} (etag ${got.etag})`);
  if (got.etag !== second.etag) throw new Error(`read back etag ${got.etag}, expected ${second.etag}`);
}

async function bumpRunCounter(storage: StorageAdapter): Promise<number> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await storage.get('demo/runs.json');
    const runs = current ? Number((JSON.parse(read(current.body)) as { runs: number }).runs) + 1 : 1;
    const body = text(JSON.stringify({ runs, at: new Date().toISOString() }));
    try {
      await storage.put('demo/runs.json', body, current ? { ifMatch: current.etag } : { ifNoneMatch: '*' });
      return runs;
    } catch (e) {
      if (!(e instanceof PreconditionFailedError)) throw e; // another demo run won the race: read again
    }
  }
  throw new Error('could not update demo/runs.json after 10 attempts');
}

