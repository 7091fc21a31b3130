/**
 * Command-line tools from Debian packages that some suites need (e.g. `strace` to watch what the
 * compiler opens). Order: the command on PATH → `apt-get install` when running as root (CI and
 * these machines) → a clear error naming the package. Never a silent skip.
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A command and the Debian package that ships it. */
export interface DebianTool {
  command: string;
  package: string;
}

export const DEBIAN_TOOLS = {
  strace: { command: 'strace', package: 'strace' },
  // The browser of the UI suites (test/ui/), driven by playwright-core; its major must match the
  // Chromium that the pinned playwright-core release was made for (docs/testing.md).
  chromium: { command: 'chromium', package: 'chromium' },
} as const satisfies Record<string, DebianTool>;

async function onPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** apt-get calls of this process, one after another: dpkg takes one lock, and `prepare` installs several packages at once. */
let aptQueue: Promise<unknown> = Promise.resolve();

async function aptGet(args: string[]): Promise<void> {
  // Other processes (a test fork, the machine's own updates) may hold the lock: wait for it rather than fail.
  const call = aptQueue.then(() =>
    run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], { timeout: 900_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 }),
  );
  aptQueue = call.catch(() => {});
  await call;
}

/**
 * Installs a Debian package with apt-get (as root), updating the package lists once if needed.
 * @throws Error naming the package and `hint` when it cannot be installed here.
 */
export async function installDebianPackage(pkg: string, hint: string, log: (line: string) => void = () => {}): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error(`the Debian package ${pkg} is missing and this user cannot run apt-get. ${hint}`);
  log(`installing the Debian package ${pkg}`);
  try {
    await aptGet(['install', '-y', '--no-install-recommends', pkg]);
  } catch {
    // A fresh machine may have no package lists yet.
    try {
      await aptGet(['update']);
      await aptGet(['install', '-y', '--no-install-recommends', pkg]);
    } catch (e) {
      throw new Error(`could not install the Debian package ${pkg}: ${(e as Error).message.split('\n').slice(-3).join(' ')}. ${hint}`);
    }
  }
}

/**
 * The absolute path of `tool.command`, installing its package with apt-get first if needed.
 * @throws Error naming the package when it is missing and cannot be installed here.
 */
export async function ensureDebianTool(tool: DebianTool, log: (line: string) => void = () => {}): Promise<string> {
  const found = await onPath(tool.command);
  if (found) return found;
  const hint = `HINT: install it (Debian/Ubuntu: sudo apt-get install ${tool.package}) and rerun`;
  await installDebianPackage(tool.package, hint, log);
  const installed = await onPath(tool.command);
  if (!installed) throw new Error(`apt-get installed ${tool.package} but \`${tool.command}\` is still not on PATH. ${hint}`);
  return installed;
}
