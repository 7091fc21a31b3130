/**
 * How test files reach the servers the global setup made available. Each accessor throws when
 * its variables are missing: a suite never silently runs without its server.
 */
import { GCS_ENV } from './gcs-server.js';
import { POSTGRES_ENV } from './postgres-server.js';
import { REDIS_ENV } from './redis-server.js';
import { S3_ENV } from './s3-server.js';
import { TEMPORAL_ENV } from './temporal-server.js';

function required(name: string, env: Record<string, string | undefined> = process.env): string {
  const value = env[name];
  if (!value) {
    throw new Error(`${name} is not set: the vitest global setup (test/setup/global-setup.ts) did not run or did not start the server. HINT: run tests with \`npx vitest run …\` from the repository root`);
  }
  return value;
}

/** Endpoint and root credentials of an S3 test server. */
export interface S3TestServer {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * Endpoint and root credentials of the S3 test server, or of the one whose variables `env` holds
 * (a server a test file started itself, as `TestServer.env`).
 */
export function s3TestServer(env: Record<string, string | undefined> = process.env): S3TestServer {
  return {
    endpoint: required(S3_ENV.endpoint, env),
    region: env[S3_ENV.region] || 'us-east-1',
    accessKeyId: required(S3_ENV.accessKey, env),
    secretAccessKey: required(S3_ENV.secretKey, env),
  };
}

/** Base URL of the GCS test server (fake-gcs-server), for `apiEndpoint`. */
export function gcsTestServer(): { endpoint: string } {
  return { endpoint: required(GCS_ENV.endpoint) };
}

/** `host:port` and namespace of the Temporal test server. */
export function temporalTestServer(): { address: string; namespace: string } {
  return { address: required(TEMPORAL_ENV.address), namespace: process.env[TEMPORAL_ENV.namespace] || 'default' };
}

/** URL of the Redis test server (`redis://127.0.0.1:<port>`). */
export function redisTestServer(): { url: string } {
  return { url: required(REDIS_ENV.url) };
}

/** Connection string of the PostgreSQL test server. */
export function postgresTestServer(): { url: string } {
  return { url: required(POSTGRES_ENV.url) };
}
