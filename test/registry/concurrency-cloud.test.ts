/**
 * The registry concurrency scenario (./concurrency.ts) against the real S3 server and
 * fake-gcs-server the test setup starts: 20 registries, each with its own client, on one bucket.
 */
import { describe, it } from 'vitest';
import { GcsStorage } from '../../src/storage-adapters/gcs.js';
import { S3Storage } from '../../src/storage-adapters/s3.js';
import { gcsBuckets, s3Buckets } from '../setup/buckets.js';
import { registryConcurrencyScenario } from './concurrency.js';

describe('registry concurrency on cloud stores', () => {
  it('20 concurrent publishers+activators on S3 lose no update', async () => {
    const s3 = s3Buckets();
    try {
      const bucket = await s3.create('registry-race');
      await registryConcurrencyScenario(() => new S3Storage({ bucket, client: s3.config() }));
    } finally {
      await s3.close();
    }
  });

  it('20 concurrent publishers+activators on GCS lose no update', async () => {
    const gcs = gcsBuckets();
    const bucket = await gcs.create('registry-race');
    await registryConcurrencyScenario(() => new GcsStorage({ bucket, storage: gcs.config() }));
  });
});
