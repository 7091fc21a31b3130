// Registered with `node --import`: makes the packages named in BTREE_PLUGINS_TEST_HIDE_PACKAGES
// (comma-separated) unresolvable in this process, as in a host that never installed those optional
// peers — Node's own "Cannot find package" error and code, through the library's real lazy imports.
import { register } from 'node:module';

const hidden = (process.env.BTREE_PLUGINS_TEST_HIDE_PACKAGES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
if (hidden.length === 0) throw new Error('hide-packages.mjs: set BTREE_PLUGINS_TEST_HIDE_PACKAGES to the packages to hide');

const hook = `
const hidden = ${JSON.stringify(hidden)};
export async function resolve(specifier, context, next) {
  if (hidden.some((p) => specifier === p || specifier.startsWith(p + '/'))) {
    const error = new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
