/**
 * The SQL migration files (migrations/NNNN_name.sql), in order, and their texts: read next to this
 * module from source, inlined by the build (`inlineTexts(MIGRATION_TEXTS)` in tsup.config.ts), so
 * `dist/` reads no file.
 * @module
 */
import { readFileSync } from 'node:fs';
import { InternalError } from '../../errors.js';

/** Every migration, in the order they apply. Add new ones at the end; never edit a shipped one. */
export const MIGRATION_FILES = Object.freeze(['0001_initial.sql', '0002_marketplace.sql', '0003_rate_limits.sql'] as const);

/** Migration texts by `migrations/<file>`. */
export type MigrationTexts = Readonly<Record<string, string>>;

// The build replaces exactly this declaration (the line below, up to the semicolon) with the texts.
const INLINED: MigrationTexts | undefined = undefined;

/** The text of one migration file, exactly as it is on disk. */
export function migrationText(file: (typeof MIGRATION_FILES)[number]): string {
  const path = `migrations/${file}`;
  if (INLINED) {
    const text = INLINED[path];
    if (text === undefined) throw new InternalError('loading migrations failed', `${path} was not inlined by the build`);
    return text;
  }
  return readFileSync(new URL(`./${path}`, import.meta.url), 'utf8');
}
