/**
 * The rate limiter conformance suite (test/conformance/rate-limiter.ts) against each limiter: in
 * process, PostgreSQL (the global setup's server) and Redis (the global setup's redis-server).
 */
import pg from 'pg';
import { InProcessRateLimiter } from '../../src/rate-limits/in-process.js';
import { PostgresRateLimiter } from '../../src/metadata-stores/postgres/index.js';
import { RedisRateLimiter } from '../../src/rate-limits/redis.js';
import { describeRateLimiterConformance } from '../conformance/rate-limiter.js';
import { postgresTestServer, redisTestServer } from '../setup/servers/env.js';

describeRateLimiterConformance({
  name: 'in-process',
  create: async () => new InProcessRateLimiter(),
});

const pools: pg.Pool[] = [];
describeRateLimiterConformance({
  name: 'postgres on a real server',
  async create(space) {
    // The host's pool, as a worker would share it with its metadata store.
    const pool = new pg.Pool({ connectionString: postgresTestServer().url, max: 10 });
    pools.push(pool);
    const limiter = new PostgresRateLimiter({ pool, schema: space });
    await limiter.migrate();
    return limiter;
  },
  childArgs: (space) => ['postgres', space],
  async cleanup() {
    await Promise.all(pools.map((p) => p.end()));
  },
});

describeRateLimiterConformance({
  name: 'redis (redis-server)',
  create: async (space) => new RedisRateLimiter({ url: redisTestServer().url, keyPrefix: `${space}:` }),
  childArgs: (space) => ['redis', space],
});
