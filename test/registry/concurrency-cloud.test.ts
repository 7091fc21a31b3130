/**
 * The registry concurrency scenario (./concurrency.ts) against the real S3 server and
 * fake-gcs-server the test setup starts: 20 registries, each with its own client, on one bucket.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'vitest';
import { GcsStorage } from '../../src/storage-adapters/gcs.js';
import { S3Storage } from '../../src/storage-adapters/s3.js';
import { gcsTestServer, s3TestServer } from '../setup/servers/env.js';
import { registryConcurrencyScenario } from './concurrency.js';

describe('registry concurrency on cloud stores', () => {
  it('20 concurrent publishers+activators on S3 lose no update', async () => {
    const server = s3TestServer();
    const client = {
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    };
    const bucket = `registry-race-${randomBytes(4).toString('hex')}`;
    const admin = new S3Client(client);
    try {
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    } finally {
      admin.destroy();
    }
    await registryConcurrencyScenario(() => new S3Storage({ bucket, client }));
  });

  it('20 concurrent publishers+activators on GCS lose no update', async () => {
    const config = { apiEndpoint: gcsTestServer().endpoint, projectId: 'btree-plugins-test' };
    const bucket = `registry-race-${randomBytes(4).toString('hex')}`;
    await new Storage({ ...config, retryOptions: { autoRetry: false } }).createBucket(bucket);
    await registryConcurrencyScenario(() => new GcsStorage({ bucket, storage: config }));
  });
});
