import { describe, it } from 'vitest';
import { S3Storage } from '../../src/storage-adapters/s3.js';
import { s3Buckets } from '../setup/buckets.js';
import { apiLifeCycleScenario } from './life-cycle.js';

describe('custom-nodes API over HTTP, S3 store (moto)', () => {
  it('runs the whole life cycle on S3', async () => {
    const s3 = s3Buckets();
    try {
      const bucket = await s3.create('api-life-cycle');
      await apiLifeCycleScenario(new S3Storage({ bucket, client: s3.config() }));
    } finally {
      await s3.close();
    }
  });
});
