/**
 * `btree-plugins init <NodeName> [dir]`: writes a new node project. Refuses a folder that holds
 * anything, so that nothing of the author's is ever overwritten.
 *
 * @module
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { nodeNameArgument } from '../arguments.js';
import { CliError, EXIT, type CliIo, type ExitCode, type Output } from '../output.js';
import { kebabOf, projectFiles } from '../templates.js';

export interface InitOptions {
  /** The spec of this library in the new package.json. */
  librarySpec: string;
}

export async function initCommand(name: string, dirArg: string | undefined, options: InitOptions, out: Output, io: CliIo): Promise<ExitCode> {
  nodeNameArgument(name);
  const dir = resolve(io.cwd, dirArg ?? kebabOf(name));
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new CliError(`${dir} exists and is not a folder`, EXIT.usage, 'choose another [dir]');
    const present = readdirSync(dir);
    if (present.length > 0) {
      throw new CliError(`${dir} is not empty (it holds ${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}); init writes a new project and overwrites nothing`, EXIT.usage, 'choose a new or empty [dir]');
    }
  }
  const files = projectFiles({ name, librarySpec: options.librarySpec });
  for (const [path, text] of Object.entries(files)) {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    // `wx`: fail rather than replace, should anything appear meanwhile.
    await writeFile(file, text, { flag: 'wx' });
  }
  const shown = relative(io.cwd, dir) || '.';
  out.result({ ok: true, name, dir, files: Object.keys(files) });
  out.line(`${out.color.green('created')} ${name} in ${shown}/`);
  for (const path of Object.keys(files)) out.line(`  ${path}`);
  out.line();
  out.line('next:');
  out.line(`  cd ${shown} && npm install`);
  out.line('  npx btree-plugins test && npx btree-plugins validate');
  out.line('  npx btree-plugins deploy --tenant <tenant> --api <url> --activate');
  return EXIT.ok;
}
