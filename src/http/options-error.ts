/**
 * The one error of a bad `customNodesApi` option, shared by the modules that check options
 * (plugin.ts, ui-options.ts): it names the option and what is wrong, and says how to fix it.
 *
 * @module
 */
import { InvalidInputError } from '../errors.js';

/** `invalid customNodesApi options: <detail>. HINT: <hint>`, thrown at `register`. */
export function invalidOption(detail: string, hint: string): InvalidInputError {
  return new InvalidInputError('invalid customNodesApi options', detail, { hint });
}
