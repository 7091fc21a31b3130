import { describe, expect, it } from 'vitest';
import { gcsTestServer, redisTestServer, s3TestServer, temporalTestServer } from './servers/env.js';
import { pingAnswers } from './servers/redis-server.js';
import { httpAnswers } from './servers/process.js';
import { temporalAnswers } from './servers/temporal-server.js';

describe('global setup exposes live test servers to test processes', () => {
  it('S3 server answers at BTREE_PLUGINS_S3_ENDPOINT', async () => {
    const s3 = s3TestServer();
    expect(s3.endpoint).toMatch(/^https?:\/\//);
    expect(await httpAnswers(s3.endpoint, 5_000)).toBe(true);
  });

  it('GCS server lists buckets at BTREE_PLUGINS_GCS_ENDPOINT', async () => {
    const response = await fetch(`${gcsTestServer().endpoint}/storage/v1/b`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ kind: 'storage#buckets' });
  });

  it('Temporal server serves its namespace at TEMPORAL_ADDRESS', async () => {
    const { address, namespace } = temporalTestServer();
    expect(await temporalAnswers(address, namespace)).toBe(true);
  });

  it('Redis server answers PING at BTREE_PLUGINS_REDIS_URL (no persistence)', async () => {
    const url = new URL(redisTestServer().url);
    expect(url.protocol).toBe('redis:');
    expect(await pingAnswers(Number(url.port), url.hostname)).toBe(true);
  });
});
