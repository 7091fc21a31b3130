/**
 * `@wayfarer-ai/btree-plugins/rate-limits/redis`: a {@link RateLimiter} whose counters every worker
 * shares in Redis. Needs the optional peers `ioredis` and `rate-limiter-flexible`, loaded on first
 * use (a missing one fails with `MissingDependencyError` naming it).
 *
 * - Daily quotas are `rate-limiter-flexible`'s `RateLimiterRedis` counters, one key per UTC day
 *   (its atomic INCR-with-TTL script; the key expires an hour after its day ends).
 * - Rates are GCRA (src/rate-limits/gcra.ts) in one Lua script per take, atomic in Redis.
 *   `rate-limiter-flexible` has fixed windows only, which let up to twice the points through across a
 *   window edge: more than `burst + runsPerSecond × t`, which this library promises.
 *
 * Times are the workers' clocks (ms since the epoch): keep them synchronised (NTP).
 *
 * @module
 */
import type { Redis, RedisOptions } from 'ioredis';
import type { RateLimiterRedis } from 'rate-limiter-flexible';
import { InvalidInputError, isBtreePluginsError, StorageError } from '../errors.js';
import { importOptional } from '../platform/optional-import.js';
import { DAY_MS, intervalMs, toleranceMs, utcDay } from './gcra.js';
import type { RateDecision, RateLimiter, RateSpec } from './types.js';

/** Options of {@link RedisRateLimiter}: the host's ioredis client, or a URL to make one. */
export interface RedisRateLimiterOptions {
  /** The host's `ioredis` client (left open by `dispose()`). */
  client?: Redis;
  /** `redis://host:port/db`: the limiter makes (and `dispose()` closes) its own ioredis client. */
  url?: string;
  /** Options of that client. */
  redisOptions?: RedisOptions;
  /** Prefix of every key (default `btree-plugins:rl:`); workers that share limits use the same one. */
  keyPrefix?: string;
}

const ADMITTED: RateDecision = Object.freeze({ ok: true });
const COMMAND = 'btreePluginsGcraTake';

/**
 * GCRA step: KEYS[1] the bucket; ARGV now, interval, tolerance (ms). Returns {1} when admitted,
 * {0, wait} when refused. Numbers travel as strings: Redis would truncate Lua numbers to integers.
 */
const GCRA_SCRIPT = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '')
if tat == nil or tat < now then tat = now end
local ahead = tat - now
if ahead > tolerance then return {0, string.format('%.3f', ahead - tolerance)} end
local nextTat = tat + interval
redis.call('SET', KEYS[1], string.format('%.17g', nextTat), 'PX', math.ceil(nextTat - now) + 1000)
return {1, '0'}
`;

interface Loaded {
  client: Redis;
  flexible: typeof import('rate-limiter-flexible');
}

/**
 * Rate and daily-quota counters in Redis, shared by every worker.
 *
 * @example
 * ```ts
 * import { RedisRateLimiter } from '@wayfarer-ai/btree-plugins/rate-limits/redis';
 * const host = new PluginHost({ btree, storage, rateLimiter: new RedisRateLimiter({ url: process.env.REDIS_URL }), rateLimits: { runsPerSecond: 20 } });
 * ```
 */
export class RedisRateLimiter implements RateLimiter {
  readonly name = 'redis';
  readonly #options: RedisRateLimiterOptions;
  readonly #prefix: string;
  #loaded: Promise<Loaded> | undefined;
  /** One quota counter per quota value (`points` is per limiter in rate-limiter-flexible). */
  readonly #quotas = new Map<number, RateLimiterRedis>();

  constructor(options: RedisRateLimiterOptions) {
    if (!options || (options.client === undefined) === (typeof options.url !== 'string')) {
      throw new InvalidInputError('invalid RedisRateLimiter options', 'pass exactly one of `client` and `url`', { hint: 'pass `{ url: process.env.REDIS_URL }` or `{ client: yourIoredisClient }`' });
    }
    this.#options = options;
    this.#prefix = options.keyPrefix ?? 'btree-plugins:rl:';
  }

  #load(): Promise<Loaded> {
    this.#loaded ??= (async () => {
      const flexible = await importOptional<typeof import('rate-limiter-flexible') & { default?: typeof import('rate-limiter-flexible') }>('rate-limiter-flexible', 'RedisRateLimiter');
      let client = this.#options.client;
      if (client === undefined) {
        const ioredis = await importOptional<typeof import('ioredis') & { default?: unknown }>('ioredis', 'RedisRateLimiter');
        const RedisClass = (ioredis.Redis ?? ioredis.default) as unknown as new (url: string, options: RedisOptions) => Redis;
        client = new RedisClass(this.#options.url!, { maxRetriesPerRequest: 2, ...this.#options.redisOptions });
      }
      client.defineCommand(COMMAND, { numberOfKeys: 1, lua: GCRA_SCRIPT });
      return { client, flexible: flexible.RateLimiterRedis ? flexible : flexible.default! };
    })();
    return this.#loaded;
  }

  take(key: string, rate: RateSpec, now: number): Promise<RateDecision> {
    return this.#take(key, rate, now).catch((e: unknown) => redisError('rateLimit.take', e));
  }

  count(key: string, quota: number, now: number): Promise<RateDecision> {
    return this.#count(key, quota, now).catch((e: unknown) => redisError('rateLimit.count', e));
  }

  async #take(key: string, rate: RateSpec, now: number): Promise<RateDecision> {
    const { client } = await this.#load();
    const command = (client as unknown as Record<string, (...args: string[]) => Promise<[number, string]>>)[COMMAND]!;
    const [admitted, wait] = await command.call(client, `${this.#prefix}rate:${key}`, String(now), String(intervalMs(rate)), String(toleranceMs(rate)));
    return admitted === 1 ? ADMITTED : { ok: false, retryAfterMs: Math.max(1, Number(wait)) };
  }

  async #count(key: string, quota: number, now: number): Promise<RateDecision> {
    const day = utcDay(now);
    const untilNextDay = (day + 1) * DAY_MS - now;
    if (quota === 0) return { ok: false, retryAfterMs: untilNextDay };
    const { client, flexible } = await this.#load();
    let counter = this.#quotas.get(quota);
    if (counter === undefined) {
      counter = new flexible.RateLimiterRedis({ storeClient: client, points: quota, duration: DAY_MS / 1000, keyPrefix: `${this.#prefix}day` });
      this.#quotas.set(quota, counter);
    }
    try {
      await counter.consume(`${key}:${day}`, 1, { customDuration: Math.ceil(untilNextDay / 1000) + 3600 });
      return ADMITTED;
    } catch (e) {
      if (e instanceof flexible.RateLimiterRes) return { ok: false, retryAfterMs: untilNextDay };
      throw e;
    }
  }

  /** Closes the client the limiter made from `url` (a client the host passed is left open). */
  async dispose(): Promise<void> {
    const loaded = this.#loaded;
    this.#loaded = undefined;
    if (loaded && this.#options.client === undefined) await (await loaded).client.quit().catch(() => undefined);
  }
}

/** A Redis failure as the library's `StorageError` (retryable: the run was not admitted, trying again is safe). */
function redisError(operation: string, error: unknown): never {
  if (isBtreePluginsError(error)) throw error;
  const text = error instanceof Error ? error.message : String(error);
  throw new StorageError('redis', operation, text, { retryable: true, hint: 'check that Redis runs at the configured address; runs are refused while it is unreachable', cause: error });
}
