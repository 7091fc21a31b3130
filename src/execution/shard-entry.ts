/**
 * Where a shard's code is and how to start it. The build ships it as `dist/execution/shard-main.js`
 * next to the library's other files; runs from source (tests, `npm run demo` under tsx) start
 * `shard-main.ts` through tsx, a development dependency.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InternalError } from '../errors.js';

/** How to start a shard: the file to run and what a thread or a process needs to run it. */
export interface ShardEntry {
  /** The entry module (absolute path). */
  file: string;
  /** Worker thread: code run with `eval: true` that imports the entry (source runs), or none. */
  threadBootstrap: string | undefined;
  /** Child process: Node options before the entry (the TypeScript loader on source runs). */
  processExecArgv: string[];
}

let found: ShardEntry | undefined;

/** The shard entry of this installation (looked up once). */
export function shardEntry(): ShardEntry {
  return (found ??= locate());
}

function locate(): ShardEntry {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const file = fileURLToPath(new URL('./shard-main.ts', here));
    const tsxRoot = dirname(createRequire(here).resolve('tsx/package.json'));
    const tsxApi = pathToFileURL(join(tsxRoot, 'dist/esm/api/index.mjs')).href;
    const tsxLoader = pathToFileURL(join(tsxRoot, 'dist/loader.mjs')).href;
    const bootstrap =
      `import(${JSON.stringify(tsxApi)}).then((api) => api.tsImport(${JSON.stringify(pathToFileURL(file).href)}, ${JSON.stringify(here)}))` +
      `.catch((e) => { console.error(e); process.exit(70); });`;
    return { file, threadBootstrap: bootstrap, processExecArgv: ['--import', tsxLoader] };
  }
  // The bundler puts this module in a chunk at the root of dist/ or in an entry one folder down.
  for (const candidate of ['./execution/shard-main.js', '../execution/shard-main.js', './shard-main.js']) {
    const file = fileURLToPath(new URL(candidate, here));
    if (existsSync(file)) return { file, threadBootstrap: undefined, processExecArgv: [] };
  }
  throw new InternalError('starting a sandbox shard failed', `execution/shard-main.js was not found next to ${fileURLToPath(here)}`, {
    hint: "keep @wayfarer-ai/btree-plugins external when bundling the host (its dist/ files must stay together), or set execution: { isolation: 'inline' }",
  });
}
