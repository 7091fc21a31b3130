/**
 * The PostgreSQL test server: a throwaway cluster of Debian's `postgresql` binaries (initdb in a
 * temporary folder, the server on 127.0.0.1 and a free port, fsync off), or the server named by
 * BTREE_PLUGINS_POSTGRES_URL. `initdb` refuses to run as root, so as root the cluster belongs to
 * a dedicated system user, `btree-plugins-pg`, created on first use and entered with `runuser`.
 * `.ci/run` installs the `postgresql` package when it is missing.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installDebianPackage } from '../debian-tools.js';
import { startProcess } from './process.js';
import { withFreePort } from './retry-port.js';
import type { SetupLog, TestServer } from './types.js';

const run = promisify(execFile);

export const POSTGRES_ENV = { url: 'BTREE_PLUGINS_POSTGRES_URL' } as const;
const SERVICE_USER = 'btree-plugins-pg';

/** The folder of `initdb` and `postgres`: Debian's newest /usr/lib/postgresql/<major>/bin, or none. */
function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const major of majors) if (existsSync(join(root, major, 'bin', 'initdb'))) return join(root, major, 'bin');
  return undefined;
}

/**
 * PostgreSQL's server binaries, installing Debian's `postgresql` package first if needed (as root).
 * @throws Error saying how to provide them.
 */
export async function ensurePostgresBinaries(log: SetupLog): Promise<string> {
  const found = findBinDir();
  if (found) return found;
  const hint = `HINT: install them with \`apt-get install -y postgresql\`, or set ${POSTGRES_ENV.url} to a server the tests may use`;
  await installDebianPackage('postgresql', hint, log);
  const installed = findBinDir();
  if (!installed) throw new Error(`apt-get installed postgresql but no /usr/lib/postgresql/<major>/bin/initdb exists. ${hint}`);
  return installed;
}

/** As root: the service user's uid/gid (creating the user), and the command prefix that runs as it. */
async function serviceUser(): Promise<{ prefix: string[]; uid?: number; gid?: number }> {
  if (userInfo().uid !== 0) return { prefix: [] };
  try {
    await run('id', ['-u', SERVICE_USER]);
  } catch {
    await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVICE_USER]);
  }
  const uid = Number((await run('id', ['-u', SERVICE_USER])).stdout.trim());
  const gid = Number((await run('id', ['-g', SERVICE_USER])).stdout.trim());
  return { prefix: ['runuser', '-u', SERVICE_USER, '--'], uid, gid };
}

function tcpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Uses the server named in the environment, or starts a throwaway cluster. */
export async function startPostgresServer(log: SetupLog): Promise<TestServer> {
  const given = process.env[POSTGRES_ENV.url];
  if (given) return { name: 'postgres', origin: `using ${given.replace(/:[^:@/]*@/, ':***@')}`, env: { [POSTGRES_ENV.url]: given }, stop: async () => {} };

  const bin = await ensurePostgresBinaries(log);
  const user = await serviceUser();
  const dir = await mkdtemp(join(tmpdir(), 'btree-plugins-pg-'));
  try {
    if (user.uid !== undefined) await chown(dir, user.uid, user.gid!);
    const data = join(dir, 'data');
    const [cmd, ...pre] = [...user.prefix, join(bin, 'initdb')];
    await run(cmd!, [...pre, '-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'], { timeout: 60_000 });
    const server = await withFreePort(async (port) => {
      const [command, ...prefixArgs] = [...user.prefix, join(bin, 'postgres')];
      const proc = await startProcess({
        name: 'postgres',
        command: command!,
        args: [...prefixArgs, '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
        ready: () => tcpAnswers(port),
      });
      return { proc, port };
    });
    const version = bin.split('/').at(-2);
    log(`postgres ${version} cluster in ${dir}`);
    return {
      name: 'postgres',
      origin: `started postgres ${version} (throwaway cluster) at 127.0.0.1:${server.port}`,
      env: { [POSTGRES_ENV.url]: `postgres://postgres@127.0.0.1:${server.port}/postgres` },
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
