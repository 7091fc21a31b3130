import { describe, expect, it } from 'vitest';
import { gcsTestServer, s3TestServer, temporalTestServer } from './servers/env.js';
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
});
