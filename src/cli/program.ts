/**
 * The `btree-plugins` command line: commander wires the commands, their flags and `--help`; each
 * command's work is in `commands/`. `runCli` returns the exit code instead of exiting, so that it
 * can be called in-process.
 *
 * @module
 */
import { Command, CommanderError, Option } from 'commander';
import { initCommand } from './commands/init.js';
import { deployCommand } from './commands/deploy.js';
import { listCommand, rollbackCommand, statusCommand, versionActionCommand } from './commands/manage.js';
import { marketplaceInstallCommand, marketplacePublishCommand, marketplaceSearchCommand, SEARCH_SORTS } from './commands/marketplace.js';
import { testCommand } from './commands/test.js';
import { validateCommand } from './commands/validate.js';
import { TOKEN_ENV } from './connect.js';
import { cliErrorOf, CliError, EXIT, Output, type CliIo, type ExitCode } from './output.js';

const EXIT_CODES_HELP = `
Exit codes: 0 ok · 1 a node failed validation or its tests · 2 usage error (bad flag, missing option, file in the way) · 3 the API or store refused or could not be reached.
Colours are off when stdout is not a terminal or NO_COLOR is set. Docs: docs/cli.md.`;

/** The library's version and a dependency spec for new projects. */
export interface CliPackage {
  version: string;
}

function targetOptions(cmd: Command): Command {
  return cmd
    .option('--api <url>', 'the upload API\'s base URL, e.g. http://127.0.0.1:8787/api')
    .option('--token <token>', `API token (default: $${TOKEN_ENV})`)
    .option('--store <location>', 'a store instead of the API: fs:<dir>, s3://bucket/prefix or gs://bucket/prefix')
    .option('--tenant <id>', 'the tenant to act for (required; with --api, checked against the token\'s)')
    .option('--user <name>', 'who acts, recorded in the audit log (--store only; default $USER)')
    .option('--no-require-approval', 'the store\'s host does not require approval before activation (--store only)')
    .option('--json', 'print one JSON document instead of text');
}

/** `test` and `validate`: the tenant's limits and policy come from an API when one is named. */
function limitsOptions(cmd: Command): Command {
  return cmd
    .option('--api <url>', "use the tenant's limits and policy from this API (default: the library's)")
    .option('--token <token>', `API token (default: $${TOKEN_ENV})`)
    .option('--tenant <id>', "the tenant whose limits apply (checked against the token's)")
    .option('--json', 'print one JSON document instead of text');
}

/** Runs the CLI with `argv` (without `node` and the script). Never exits the process. */
export async function runCli(argv: readonly string[], io: CliIo, pkg: CliPackage): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const json = argv.includes('--json');
  const out = new Output(io, json);
  const run = (fn: () => Promise<ExitCode>) => async () => {
    code = await fn();
  };
  const program = new Command('btree-plugins')
    .description('Write, test, validate and deploy custom nodes for a @wayfarer-ai/btree platform.')
    .version(pkg.version, '-v, --version')
    // The program's own options (-v, --help) only before a command: `marketplace install --version` is the command's.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`${out.color.red('error')} ${s.replace(/^error: /, '')}`),
    });

  program
    .command('init')
    .description('create a node project: package.json, tsconfig.json, src/<name>.ts, .schema.ts, .test.ts, README')
    .argument('<NodeName>', 'the node name, PascalCase (e.g. SendSlackMessage)')
    .argument('[dir]', 'the project folder (default: the kebab-case name); must be new or empty')
    .option('--library <spec>', 'the @wayfarer-ai/btree-plugins dependency to write into package.json', `^${pkg.version}`)
    .option('--json', 'print one JSON document instead of text')
    .action((name: string, dir: string | undefined, o: { library: string }) => run(() => initCommand(name, dir, { librarySpec: o.library }, out, io))());

  limitsOptions(
    program
      .command('test')
      .description("run the project's node tests in the production sandbox and print each node's cost against the tenant's limits")
      .argument('[names...]', 'nodes to test (default: all in package.json)'),
  ).action((names: string[], o) => run(() => testCommand(names, o, out, io))());

  limitsOptions(
    program
      .command('validate')
      .description('compile, check imports, scan, inspect in the sandbox, check the props schema and sizes; print every diagnostic with its code frame')
      .argument('[names...]', 'nodes to validate (default: all in package.json)')
      .option('--strict', 'warnings fail validation too'),
  ).action((names: string[], o) => run(() => validateCommand(names, o, out, io))());

  targetOptions(
    program
      .command('deploy')
      .description('validate, then upload the project\'s nodes; the same content again is "unchanged"')
      .argument('[names...]', 'nodes to deploy (default: all in package.json)')
      .option('--activate', 'activate each deployed version (when the tenant\'s policy allows: approval may be required)')
      .option('--strict', 'warnings fail validation too'),
  ).action((names: string[], o) => run(() => deployCommand(names, o, out, io))());

  targetOptions(program.command('list').description("list the tenant's nodes and their versions")).action((o) => run(() => listCommand(o, out, io))());
  targetOptions(program.command('status').description("one node's versions and which is active").argument('<Name>', 'the node name')).action((name: string, o) =>
    run(() => statusCommand(name, o, out, io))(),
  );
  targetOptions(
    program.command('approve').description('approve a draft').argument('<Name@version>', 'the version (Name alone: the version in package.json)').option('--note <text>', 'a review note'),
  ).action((id: string, o) => run(() => versionActionCommand('approve', id, o, out, io))());
  targetOptions(program.command('activate').description('make a version the active one').argument('<Name@version>', 'the version (Name alone: the version in package.json)')).action(
    (id: string, o) => run(() => versionActionCommand('activate', id, o, out, io))(),
  );
  targetOptions(
    program
      .command('deprecate')
      .description('deprecate a version (it still resolves, with a warning)')
      .argument('<Name@version>', 'the version (Name alone: the version in package.json)')
      .addOption(new Option('--message <text>', 'why, shown to users of the version').makeOptionMandatory()),
  ).action((id: string, o) => run(() => versionActionCommand('deprecate', id, o, out, io))());
  targetOptions(program.command('rollback').description('return a node to its previously active version').argument('<Name>', 'the node name')).action((name: string, o) =>
    run(() => rollbackCommand(name, o, out, io))(),
  );

  const marketplace = program
    .command('marketplace')
    .summary("marketplace search | publish | install: nodes shared across the platform's tenants")
    .description("The platform's marketplace (docs/marketplace.md): search its listings, list (publish) an approved version of your tenant, install a listing into your tenant.");
  targetOptions(
    marketplace
      .command('search')
      .description('search the listings your tenant may see: id, latest version, publisher and support level, rating, installs')
      .argument('[words...]', 'words that must all appear in the name, description, category or publisher')
      .option('--category <category>', 'only this category, e.g. messaging')
      .option('--support-level <level>', 'only publishers at this support level: community, verified or certified')
      .option('--sort <order>', `${SEARCH_SORTS.join(', ')} (default recent: last change first)`)
      .option('--limit <n>', 'listings per page (default 20, at most 100)')
      .option('--cursor <cursor>', 'the next page: the cursor the previous page printed'),
  ).action((words: string[], o) => run(() => marketplaceSearchCommand(words, o, out, io))());
  targetOptions(
    marketplace
      .command('publish')
      .description("list an approved version of your tenant under its publisher; a platform admin reviews and publishes it")
      .argument('<Name@version>', 'the approved version (Name alone: the version in package.json)')
      .option('--category <category>', 'a new listing\'s category, e.g. messaging (ignored for an existing listing)')
      .option('--description <text>', 'a new listing\'s description (default: the node\'s in package.json; ignored for an existing listing)'),
  ).action((id: string, o) => run(() => marketplacePublishCommand(id, o, out, io))());
  targetOptions(
    marketplace
      .command('install')
      .description('install a listing into your tenant, pinned to one version')
      .argument('<listing-id>', 'the listing, <publisher>.<NodeName>, e.g. acme-tools.SendSlackMessage')
      .option('--version <version>', 'a published version (default: the latest)')
      .option('--as <Name>', 'the node name in your trees (default: the listing\'s)'),
  ).action((id: string, o) => run(() => marketplaceInstallCommand(id, o, out, io))());

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version end with exitCode 0; every other commander error is a usage error it already printed.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const failure = e instanceof CliError ? e : cliErrorOf(e, EXIT.remote);
    out.error(failure);
    return failure.exitCode;
  }
}
