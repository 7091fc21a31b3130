/**
 * Output helpers of the demo. Everything the demo says goes through here (to stdout), so that
 * silencing a noisy btree's `console.log` never hides it.
 *
 * @module
 */
import { inspect } from 'node:util';

/** Prints one line. */
export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Prints a step header: `== 2. registry: … ==`. */
export function step(n: number, title: string): void {
  say();
  say(`== ${n}. ${title} ==`);
}

/** Prints `  label: value`, the value in compact one-line form when it is not a string. */
export function show(label: string, value: unknown): void {
  say(`  ${label}: ${typeof value === 'string' ? value : compact(value)}`);
}

/** A value on one line (`{ a: 1, b: [ 2 ] }`), long enough for a blackboard. */
export function compact(value: unknown): string {
  return inspect(value, { depth: 6, breakLength: Infinity, compact: true, colors: false });
}

/** The first line of an error's message: messages carry a `HINT:` that the demo shows only once. */
export function firstLine(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.split('\n')[0]!;
}
