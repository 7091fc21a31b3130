// @ts-check
/** The runtime module `wf:zod`: re-exports what the zod factory script produced (see zod-bundle.ts). */

import { __zodExports } from 'wf:internal';
const ns = __zodExports();
export const z = ns.z;
export const __zodGlobals = ns.__zodGlobals;
