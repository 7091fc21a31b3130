/**
 * Publisher names at the marketplace boundary: the slug grammar, the display-name check, and the
 * skeleton that decides when two names look alike. Marketplaces live with copycat publishers
 * (Open VSX and the VS Code Marketplace both fight them): `аcme-tools` with a Cyrillic `а`,
 * `ACME Tools`, `acme_tools` or `acrne-tools` must not be registered next to `acme-tools`.
 *
 * The rule lives here once. A slug is plain ASCII, so it cannot hide a look-alike letter. A display
 * name may use any script: it is normalised, refused when it carries invisible or control
 * characters (they are never silently removed: the name is shown as registered), and compared
 * through {@link nameSkeleton}. A publisher claims the skeletons of both its names
 * ({@link publisherNameKeys}); a name whose skeleton is already claimed is a look-alike.
 *
 * What this does not promise: the skeleton follows Unicode's confusables data (TR39, via
 * `unhomoglyph`, built from confusables.txt 13.0) and the runtime's Unicode tables (NFKC, case
 * mapping). Pairs that Unicode does not list stay distinct (`vv`/`w`, `cl`/`d`, accented letters
 * such as `acmé`/`acme`), and skeletons of the same name may differ across versions of that data,
 * so store the keys a publisher claimed instead of recomputing them later.
 *
 * @module
 */
import unhomoglyph from 'unhomoglyph';
import { InvalidInputError } from '../errors.js';
import { printable } from '../registry/ids.js';

/**
 * Publisher slug grammar: a lowercase ASCII letter, then `a-z`, `0-9` and single hyphens (no
 * leading, trailing or double hyphen), 3–40 characters in all. ASCII only, so a slug cannot
 * contain a look-alike letter or an invisible character.
 *
 * @example `acme`, `acme-tools`, `globex2` match; `Acme`, `2acme`, `acme--tools`, `acme-` do not.
 */
export const PUBLISHER_SLUG_PATTERN = /^(?=[a-z0-9-]{3,40}$)[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

const MIN_SLUG_LENGTH = 3;
const MAX_SLUG_LENGTH = 40;

/** Longest display name, in Unicode code points after normalisation (see {@link checkDisplayName}). */
export const MAX_DISPLAY_NAME_LENGTH = 64;

/** Input longer than this (UTF-16 units) is refused before any normalisation runs on it. */
const MAX_RAW_DISPLAY_NAME_LENGTH = 16 * MAX_DISPLAY_NAME_LENGTH;

const SLUG_GRAMMAR =
  'publisher slugs are 3-40 characters of a-z, 0-9 and single hyphens, starting with a letter and not ending with a hyphen';

/**
 * {@link printable} leaves format characters (bidi overrides, zero-width joiners), C1 controls,
 * line separators and private-use characters raw, because JSON does; an error message must not
 * reorder or hide what it quotes.
 */
const HIDDEN_IN_MESSAGES = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}\p{Default_Ignorable_Code_Point}\u2800]/gu;

function quote(value: unknown): string {
  // split('') walks UTF-16 units, so an astral private-use character becomes its two `\\uXXXX` escapes.
  return printable(value).replace(HIDDEN_IN_MESSAGES, (c) => c.split('').map((unit) => `\\u${hex4(unit.charCodeAt(0))}`).join(''));
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

function codePointLabel(c: string): string {
  return `U+${hex4(c.codePointAt(0)!)}`;
}

/** Why `slug` does not match the grammar, as a parenthesised clause ('' when it is a string that matches). */
function slugProblem(slug: string): string {
  if (slug.length < MIN_SLUG_LENGTH || slug.length > MAX_SLUG_LENGTH) {
    return ` (it is ${slug.length} characters long; slugs have ${MIN_SLUG_LENGTH}-${MAX_SLUG_LENGTH})`;
  }
  const bad = /[^a-z0-9-]/u.exec(slug);
  if (bad) {
    const c = bad[0];
    if (/^[A-Z]$/.test(c)) return ` (it contains the uppercase letter "${c}" at index ${bad.index}; slugs are lowercase)`;
    if (/^[\x20-\x7e]$/.test(c)) return ` (it contains ${c === ' ' ? 'a space' : `"${c}"`} at index ${bad.index}; only a-z, 0-9 and "-" are allowed)`;
    return ` (it contains the character ${codePointLabel(c)} at index ${bad.index}; only ASCII a-z, 0-9 and "-" are allowed, so look-alike letters and invisible characters are refused)`;
  }
  if (!/^[a-z]/.test(slug)) return ' (it must start with a letter a-z)';
  const double = slug.indexOf('--');
  if (double >= 0) return ` (it has a double hyphen at index ${double})`;
  if (slug.endsWith('-')) return ' (it ends with a hyphen)';
  return '';
}

/** A slug close to what the caller typed (`Acme_Tools` → `acme-tools`), for ASCII input only. */
function suggestSlug(slug: string): string | undefined {
  if (slug.length > 4 * MAX_SLUG_LENGTH || !/^[\x20-\x7e]*$/.test(slug)) return undefined;
  const candidate = slug
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/, '');
  return candidate !== slug && PUBLISHER_SLUG_PATTERN.test(candidate) ? candidate : undefined;
}

/**
 * Throws {@link InvalidInputError} (`invalid publisher slug`) unless `slug` follows
 * {@link PUBLISHER_SLUG_PATTERN}. The message says what is wrong (length, uppercase letter,
 * non-ASCII character and its index, double or trailing hyphen) and the hint suggests a slug.
 *
 * @example
 * ```ts
 * assertPublisherSlug('acme-tools'); // ok
 * assertPublisherSlug('Acme_Tools'); // throws …HINT: publisher slugs are … ; try "acme-tools"
 * ```
 */
export function assertPublisherSlug(slug: unknown): asserts slug is string {
  if (typeof slug === 'string' && slug.length <= MAX_SLUG_LENGTH && PUBLISHER_SLUG_PATTERN.test(slug)) return;
  const why = typeof slug === 'string' ? slugProblem(slug) : '';
  const suggestion = typeof slug === 'string' ? suggestSlug(slug) : undefined;
  throw new InvalidInputError('invalid publisher slug', `${quote(slug)} is not a publisher slug${why}`, {
    hint: suggestion ? `${SLUG_GRAMMAR}; try "${suggestion}"` : `${SLUG_GRAMMAR} (e.g. "acme" or "acme-tools")`,
  });
}

const BIDI_CONTROLS = /^[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]$/;

const CHARACTER_NAMES: Readonly<Record<number, string>> = {
  0x00ad: 'SOFT HYPHEN',
  0x061c: 'ARABIC LETTER MARK',
  0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2028: 'LINE SEPARATOR',
  0x2029: 'PARAGRAPH SEPARATOR',
  0x2060: 'WORD JOINER',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
  0x2800: 'BRAILLE PATTERN BLANK',
  0x3164: 'HANGUL FILLER',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE',
};

/**
 * Characters a display name may not contain: controls (Cc), format characters (Cf: zero-width,
 * bidi), line and paragraph separators, lone surrogates (Cs), private-use (Co) and unassigned (Cn)
 * code points, other default-ignorable characters (Hangul fillers, variation selectors, which
 * render as nothing), and the blank braille pattern.
 */
const FORBIDDEN_IN_DISPLAY_NAME = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}\p{Default_Ignorable_Code_Point}\u2800]/u;

/** What the forbidden character `c` is and how to fix the name. */
function describeForbidden(c: string): { what: string; fix: string } {
  const name = CHARACTER_NAMES[c.codePointAt(0)!];
  const label = `${codePointLabel(c)}${name ? ` (${name})` : ''}`;
  if (BIDI_CONTROLS.test(c)) {
    return { what: `the bidirectional control ${label}`, fix: 'remove it: right-to-left text displays correctly without it, and bidi controls reorder what readers see' };
  }
  if (/^[\p{Cc}\p{Zl}\p{Zp}]$/u.test(c)) {
    const what = /^\p{Cc}$/u.test(c) ? 'control character' : 'line separator';
    return { what: `the ${what} ${label}`, fix: 'remove it and write the name on one line with plain spaces (tabs and line breaks are not allowed)' };
  }
  if (/^\p{Cs}$/u.test(c)) return { what: `the lone surrogate ${label}`, fix: 'send the name as well-formed Unicode text' };
  if (/^\p{Co}$/u.test(c)) {
    return { what: `the private-use character ${label}`, fix: 'remove it: private-use characters have no agreed glyph, so they cannot be checked for look-alikes' };
  }
  if (/^\p{Cn}$/u.test(c)) {
    return { what: `the unassigned code point ${label}`, fix: 'remove it: unassigned characters cannot be checked for look-alikes' };
  }
  return {
    what: `the invisible character ${label}`,
    fix: 'remove it: invisible and zero-width characters make a name look like another one (emoji joined with ZERO WIDTH JOINER or variation selectors are not supported)',
  };
}

function refuseDisplayName(name: unknown, detail: string, hint: string): never {
  throw new InvalidInputError('invalid publisher display name', `${quote(name)} ${detail}`, { hint });
}

/**
 * Checks a publisher's display name and returns it normalised: NFKC (so `ﬁ` becomes `fi` and
 * `ＡＣＭＥ` becomes `ACME`), trimmed, with each run of whitespace collapsed to one space.
 *
 * Throws {@link InvalidInputError} (`invalid publisher display name`) when `name` is not a string,
 * is empty after trimming, has no letter or digit, is longer than {@link MAX_DISPLAY_NAME_LENGTH}
 * code points after normalisation, or contains a character that is invisible or not text: a
 * control character (Cc, including tab and line feed), a format character (Cf: U+200B–U+200D,
 * U+2060, U+FEFF, the bidi controls U+202A–U+202E and U+2066–U+2069, …), a line separator, a
 * private-use, unassigned or lone-surrogate code point, or another default-ignorable character
 * (U+3164 HANGUL FILLER, variation selectors). The message names the character as `U+XXXX` and
 * its index in `name` (UTF-16 units, as JavaScript indexes strings); the hint says how to fix it.
 *
 * @example
 * ```ts
 * checkDisplayName('  Acme\u3000 Tools ');   // 'Acme Tools'
 * checkDisplayName('Acme\u202eTools');       // throws: …the bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE) at index 4…
 * ```
 */
export function checkDisplayName(name: unknown): string {
  if (typeof name !== 'string') {
    refuseDisplayName(name, 'is not a string', 'pass the name people will see as a string, e.g. "Acme Tools"');
  }
  // Bounded before normalisation or any regular expression runs on it (NFKC can expand text).
  if (name.length > MAX_RAW_DISPLAY_NAME_LENGTH) {
    refuseDisplayName(name, `is too long (at most ${MAX_DISPLAY_NAME_LENGTH} characters are allowed)`, `shorten it to at most ${MAX_DISPLAY_NAME_LENGTH} characters`);
  }
  const found = FORBIDDEN_IN_DISPLAY_NAME.exec(name);
  if (found) {
    const { what, fix } = describeForbidden(found[0]);
    refuseDisplayName(name, `contains ${what} at index ${found.index}`, fix);
  }
  const normalised = name.normalize('NFKC').replace(/\s+/gu, ' ').trim();
  // NFKC maps no text character to a forbidden one today; checked again so a future Unicode cannot slip one through.
  const after = FORBIDDEN_IN_DISPLAY_NAME.exec(normalised);
  if (after) {
    const { what, fix } = describeForbidden(after[0]);
    refuseDisplayName(name, `contains ${what} after NFKC normalisation`, fix);
  }
  if (normalised.length === 0) {
    refuseDisplayName(name, 'is empty after trimming whitespace', 'give the name people will see, e.g. "Acme Tools"');
  }
  const length = [...normalised].length;
  if (length > MAX_DISPLAY_NAME_LENGTH) {
    refuseDisplayName(
      name,
      `is ${length} characters long after normalisation (at most ${MAX_DISPLAY_NAME_LENGTH} are allowed)`,
      `shorten it to at most ${MAX_DISPLAY_NAME_LENGTH} characters`,
    );
  }
  if (!/[\p{L}\p{N}]/u.test(normalised)) {
    refuseDisplayName(name, 'has no letter or digit', 'a display name needs at least one letter or digit, e.g. "Acme Tools"');
  }
  return normalised;
}

/** Invisible or non-text characters: they take no part in how a name looks. */
const IGNORED_IN_SKELETON = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
/** Separators people vary to copy a name: whitespace, dashes and hyphens, underscores (connector punctuation), full stops. */
const SEPARATORS_IN_SKELETON = /[\p{White_Space}\p{Pd}\p{Pc}.]/gu;

const MAX_SKELETON_ROUNDS = 4;

function strip(s: string): string {
  return s.replace(IGNORED_IN_SKELETON, '').replace(SEPARATORS_IN_SKELETON, '');
}

/**
 * Case folding, one code point at a time: upper then lower case folds `ß` to `ss` and `ς` to `σ`
 * as Unicode case folding does, and per code point it escapes `toLowerCase`'s final-sigma rule,
 * which would make the result depend on the neighbouring letters.
 */
function caseFold(s: string): string {
  let out = '';
  for (const c of s) out += c.toUpperCase().toLowerCase();
  return out;
}

/**
 * The key that decides whether two names look alike: two names collide when their skeletons are
 * equal. Not for display; treat it as opaque (`m` becomes `rn`).
 *
 * Steps: NFKC, then Unicode TS #39's skeleton (NFD, default-ignorable characters removed, every
 * character mapped to its prototype in confusables.txt via `unhomoglyph`), case folding, the
 * mapping again (so that a letter whose lowercase form has a prototype, such as `M` → `m` →
 * `rn`, maps too), repeated until it no longer changes (a prototype can be a compatibility
 * character: `⏨` → `₁₀` → `10` → `lo`). Dropped before and after mapping: controls, format and
 * other default-ignorable characters (zero-width, bidi, soft hyphen), whitespace, dash punctuation
 * (`-`, `–`, `—`, `‐`, `−`), connector punctuation (`_`, `‿`) and full stops (`.`, and what maps
 * to `.`). The result is idempotent: `nameSkeleton(nameSkeleton(x)) === nameSkeleton(x)`.
 *
 * So these collide with `acme-tools`: `Acme Tools`, `ACME  TOOLS`, `acme_tools`, `ACME.TOOLS`,
 * `acmetools`, `ａｃｍｅ－ｔｏｏｌｓ` (fullwidth, by NFKC), `аcme-tools` (Cyrillic `а`),
 * `acme-tοols` (Greek `ο`), `acrne-tools` (confusables.txt maps `m` to `rn`), `acme-t00ls` (it maps
 * the digit `0` to `O`, folded to `o`), `acme-too1s` and `acme-tooIs` (it maps `1` and `I` to `l`),
 * `acme–tools` (en dash), `acme\u200Btools` (zero-width space) and `АСМЕ-ТООLS` (Cyrillic capitals).
 *
 * These do not: `acme-tool`, `acme-tools-2` (only the digits `0` and `1` have letter prototypes),
 * `acmé-tools` (TR39 keeps diacritics), `acme·tools` (a middle dot is not a full stop),
 * `acme-tovvls`/`acme-toois` (confusables.txt does not list `vv`/`w` or `i`/`l`), `globex`.
 *
 * @example
 * ```ts
 * nameSkeleton('Acme Tools') === nameSkeleton('аcme_tοols'); // true
 * ```
 */
export function nameSkeleton(text: string): string {
  // NFKC, then TR39's NFD (together: NFKD): the mapping's sources are decomposed (`ё` maps through `е` + U+0308).
  let skeleton = strip(text.normalize('NFKD'));
  // A prototype can itself be a compatibility character (`⏨` maps to `₁₀`), so repeat until nothing
  // changes; twice is enough for every entry of the data, the bound only guards against a bad update.
  for (let round = 0; round < MAX_SKELETON_ROUNDS; round++) {
    // Map, fold, map again: confusables.txt maps `M` to itself but `m` to `rn`, and `0` to `O`.
    const next = strip(unhomoglyph(caseFold(unhomoglyph(skeleton)).normalize('NFKD')).normalize('NFKD'));
    if (next === skeleton) break;
    skeleton = next;
  }
  return skeleton;
}

/**
 * The keys a publisher claims: the distinct {@link nameSkeleton}s of its slug and of its display
 * name, sorted. A new publisher whose keys overlap any claimed key is a look-alike. The slug and
 * the display name are checked first ({@link assertPublisherSlug}, {@link checkDisplayName}), so
 * keys are never computed from names that could not be registered.
 *
 * @throws {@link InvalidInputError} when the slug or the display name is invalid.
 * @example
 * ```ts
 * publisherNameKeys('acme-tools', 'Acme Tools'); // ['acrnetools'] (one key: both names look alike)
 * publisherNameKeys('acme', 'Acme Tools');       // ['acrne', 'acrnetools']
 * ```
 */
export function publisherNameKeys(slug: string, displayName: string): string[] {
  assertPublisherSlug(slug);
  const name = checkDisplayName(displayName);
  // Each name also as lower case: confusables.txt maps the capital `I` to `l` but not `i`, so
  // `HOOLI` and `Hooli` have different skeletons; their lower-case forms share one.
  const keys = [slug, name, name.toLowerCase()].map(nameSkeleton);
  return [...new Set(keys)].filter((key) => key.length > 0).sort();
}
