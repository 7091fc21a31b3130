/**
 * The Redis test server: Debian's `redis-server` (7.0, BSD-licensed) on 127.0.0.1 and a free port,
 * with no persistence (no RDB snapshots, no AOF) and its files in a temporary folder; or the server
 * named by BTREE_PLUGINS_REDIS_URL. The package is installed with apt-get when missing (as root),
 * like postgres (postgres-server.ts). Used by the shared rate limiter suite (RedisRateLimiter).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianTool, type DebianTool } from '../debian-tools.js';
import { startProcess } from './process.js';
import { withFreePort } from './retry-port.js';
import type { SetupLog, TestServer } from './types.js';

export const REDIS_ENV = { url: 'BTREE_PLUGINS_REDIS_URL' } as const;

/** Debian's Redis server (7.0 in bookworm: BSD-3-Clause, before the relicensing). */
export const REDIS_TOOL: DebianTool = { command: 'redis-server', package: 'redis-server' };

/** The `redis-server` binary, installed with apt-get if needed. */
export function ensureRedisBinary(log: SetupLog): Promise<string> {
  return ensureDebianTool(REDIS_TOOL, log);
}

/** True when a PING to `host:port` answers +PONG. */
export function pingAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
  });
}

/** Uses the server named in the environment, or starts a throwaway one. */
export async function startRedisServer(log: SetupLog): Promise<TestServer> {
  const given = process.env[REDIS_ENV.url];
  if (given) return { name: 'redis', origin: `using ${given.replace(/:[^:@/]*@/, ':***@')}`, env: { [REDIS_ENV.url]: given }, stop: async () => {} };
  const binary = await ensureRedisBinary(log);
  const dir = await mkdtemp(join(tmpdir(), 'btree-plugins-redis-'));
  try {
    const server = await withFreePort(async (port) => {
      const proc = await startProcess({
        name: 'redis',
        command: binary,
        args: ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes', '--daemonize', 'no'],
        ready: () => pingAnswers(port),
      });
      return { proc, port };
    });
    return {
      name: 'redis',
      origin: `started redis-server (no persistence) at 127.0.0.1:${server.port}`,
      env: { [REDIS_ENV.url]: `redis://127.0.0.1:${server.port}` },
      stop: async () => {
        await server.proc.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
