import { describe, expect, it } from 'vitest';
import { TenantPool } from '../../../src/interpreters/python/pool.js';

class Fake {
  usable = true;
  disposed = false;
  constructor(readonly tenant: string, readonly n: number) {}
  dispose(): void {
    this.disposed = true;
    this.usable = false;
  }
}

function makePool(maxLive: number, maxIdlePerTenant = 2) {
  let n = 0;
  const created: Fake[] = [];
  const pool = new TenantPool<Fake>(async (tenant) => {
    const f = new Fake(tenant, n++);
    created.push(f);
    return f;
  }, { maxLive, maxIdlePerTenant });
  return { pool, created };
}

describe('TenantPool', () => {
  it('warm sandboxes are never handed to another tenant', async () => {
    const { pool } = makePool(4);
    const a = await pool.acquire('a');
    pool.release('a', a);
    const b = await pool.acquire('b');
    expect(b).not.toBe(a);
    expect(b.tenant).toBe('b');
    expect(await pool.acquire('a')).toBe(a);
    pool.close();
  });

  it('an unusable sandbox (after a timeout or MemoryError) is disposed, not pooled', async () => {
    const { pool } = makePool(4);
    const a = await pool.acquire('a');
    a.usable = false;
    pool.release('a', a);
    expect(a.disposed).toBe(true);
    expect(pool.idleCount('a')).toBe(0);
    expect(await pool.acquire('a')).not.toBe(a);
    pool.close();
  });

  it('live sandboxes are bounded: the least recently used tenant loses its idle sandbox', async () => {
    const { pool, created } = makePool(2);
    const a = await pool.acquire('a');
    pool.release('a', a);
    const b = await pool.acquire('b');
    pool.release('b', b);
    const c = await pool.acquire('c'); // evicts a (least recently used)
    expect(pool.live).toBe(2);
    expect(a.disposed).toBe(true);
    expect(b.disposed).toBe(false);
    pool.release('c', c);
    expect(created).toHaveLength(3);
    pool.close();
    expect(b.disposed && c.disposed).toBe(true);
  });

  it('waits for a release when every live sandbox is busy', async () => {
    const { pool } = makePool(1);
    const a = await pool.acquire('a');
    let got: Fake | undefined;
    const waiting = pool.acquire('b').then((f) => (got = f));
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toBeUndefined();
    pool.release('a', a);
    await waiting;
    expect(got?.tenant).toBe('b');
    expect(a.disposed).toBe(true);
    pool.close();
  });

  it('keeps at most maxIdlePerTenant idle sandboxes per tenant', async () => {
    const { pool } = makePool(5, 1);
    const x = await pool.acquire('a');
    const y = await pool.acquire('a');
    pool.release('a', x);
    pool.release('a', y);
    expect(pool.idleCount('a')).toBe(1);
    expect(x.disposed).toBe(true);
    pool.close();
  });
});
