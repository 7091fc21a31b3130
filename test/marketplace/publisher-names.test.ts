import { describe, expect, it } from 'vitest';
import { InvalidInputError, isBtreePluginsError } from '../../src/errors.js';
import {
  MAX_DISPLAY_NAME_LENGTH,
  PUBLISHER_SLUG_PATTERN,
  assertPublisherSlug,
  checkDisplayName,
  nameSkeleton,
  publisherNameKeys,
} from '../../src/marketplace/publisher-names.js';

/** The error `fn` throws; fails the test when it throws nothing or something else. */
function thrown(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return e as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError');
}

const ACME = nameSkeleton('acme-tools');

describe('publisher slug grammar', () => {
  it('accepts lowercase ASCII slugs of 3-40 characters with single inner hyphens', () => {
    for (const ok of ['abc', 'acme', 'acme-tools', 'acme-tools-2', 'globex2', 'a1b', 'a-b-c', `a${'b'.repeat(39)}`]) {
      expect(() => assertPublisherSlug(ok), ok).not.toThrow();
      expect(PUBLISHER_SLUG_PATTERN.test(ok), ok).toBe(true);
    }
  });

  it('refuses other shapes, other types and look-alike letters', () => {
    const bad: unknown[] = ['', 'ab', `a${'b'.repeat(40)}`, 'Acme', '2acme', '-acme', 'acme-', 'acme--tools', 'acme_tools', 'acme.tools', 'acme tools', 'аcme', 'acme\u200b', 'acme\n', 'ａcme', 42, null, undefined, ['acme']];
    for (const slug of bad) {
      expect(() => assertPublisherSlug(slug), String(slug)).toThrow(InvalidInputError);
      if (typeof slug === 'string') expect(PUBLISHER_SLUG_PATTERN.test(slug), slug).toBe(false);
    }
  });

  it('says what is wrong and suggests a slug', () => {
    const e = thrown(() => assertPublisherSlug('Acme_Tools'));
    expect(e.message).toMatch(/^invalid publisher slug: "Acme_Tools" is not a publisher slug \(it contains the uppercase letter "A" at index 0/);
    expect(e.hint).toMatch(/3-40 characters of a-z, 0-9 and single hyphens/);
    expect(e.hint).toMatch(/try "acme-tools"$/);
    expect(isBtreePluginsError(e, 'InvalidInputError')).toBe(true);
    expect(thrown(() => assertPublisherSlug('ab')).message).toMatch(/it is 2 characters long; slugs have 3-40/);
    expect(thrown(() => assertPublisherSlug('2acme')).message).toMatch(/must start with a letter/);
    expect(thrown(() => assertPublisherSlug('acme--tools')).message).toMatch(/double hyphen at index 4/);
    expect(thrown(() => assertPublisherSlug('acme-')).message).toMatch(/ends with a hyphen/);
    expect(thrown(() => assertPublisherSlug('acme tools')).message).toMatch(/contains a space at index 4/);
    expect(thrown(() => assertPublisherSlug(7)).message).toMatch(/<number> is not a publisher slug/);
    expect(thrown(() => assertPublisherSlug(7)).hint).toMatch(/e\.g\. "acme" or "acme-tools"/);
  });

  it('homoglyph-slug: a Cyrillic letter is named by code point and index, with no suggestion', () => {
    const e = thrown(() => assertPublisherSlug('аcme-tools'));
    expect(e.message).toMatch(/U\+0430 at index 0; only ASCII a-z, 0-9 and "-" are allowed, so look-alike letters/);
    expect(e.hint).not.toMatch(/try/);
  });

  it('message-injection: an invisible or bidi character in a refused slug is escaped in the message', () => {
    const e = thrown(() => assertPublisherSlug('acme\u202Eslo'));
    expect(e.message).toContain('"acme\\u202Eslo"');
    expect(e.message).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B-\u200D]/);
  });

  it('regex-backtracking: a huge hostile slug is refused quickly', () => {
    const evil = `a${'-a'.repeat(200_000)}-`;
    expect(() => assertPublisherSlug(evil)).toThrow(/is \d+ characters long/);
  });
});

describe('look-alike names collide with "acme-tools" / "Acme Tools"', () => {
  it('separators and case: spaces, double spaces, underscores, dots, no separator', () => {
    for (const name of ['Acme Tools', 'ACME  TOOLS', 'acme_tools', 'ACME.TOOLS', 'acmetools', ' acme - tools ']) {
      expect(nameSkeleton(name), name).toBe(ACME);
    }
    expect(nameSkeleton('Acme Tools')).toBe(nameSkeleton('acme-tools'));
  });

  it('homoglyph-cyrillic: "аcme-tools" with U+0430, and Cyrillic capitals', () => {
    expect(nameSkeleton('\u0430cme-tools')).toBe(ACME);
    expect(nameSkeleton('АСМЕ-ТООLS')).toBe(ACME); // А, С, М, Е, Т, О are Cyrillic
  });

  it('homoglyph-greek: omicron U+03BF for "o"', () => {
    expect(nameSkeleton('acme-t\u03BFols')).toBe(ACME);
  });

  it('fullwidth: "ＡＣＭＥ Tools" and "ａｃｍｅ－ｔｏｏｌｓ" (NFKC)', () => {
    expect(nameSkeleton('ＡＣＭＥ Tools')).toBe(ACME);
    expect(nameSkeleton('ａｃｍｅ－ｔｏｏｌｓ')).toBe(ACME);
  });

  it('zero-width: U+200B, U+200D, U+2060, U+FEFF and a soft hyphen inside the name are dropped', () => {
    for (const c of ['\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD']) expect(nameSkeleton(`acme${c}tools`), c).toBe(ACME);
  });

  it('dashes: en dash, em dash, hyphen and minus sign count as separators', () => {
    for (const c of ['\u2013', '\u2014', '\u2010', '\u2212']) expect(nameSkeleton(`acme${c}tools`), c).toBe(ACME);
  });

  it('rn-vs-m: confusables.txt maps "m" to "rn", so "acrne-tools" collides (and the key is not readable)', () => {
    expect(nameSkeleton('acrne-tools')).toBe(ACME);
    expect(nameSkeleton('ACRNE TOOLS')).toBe(ACME);
    expect(ACME).toBe('acrnetools');
    // The uppercase "M" maps to itself; only the second mapping, after case folding, reaches "rn".
    expect(nameSkeleton('M')).toBe('rn');
    // Invisible characters cannot split the pair either.
    expect(nameSkeleton('r\u200Bn')).toBe(nameSkeleton('m'));
  });

  it('digit-letter: "0" maps to "O" (then "o") and "1" to "l", and so does uppercase "I"', () => {
    expect(nameSkeleton('acme-t00ls')).toBe(ACME);
    expect(nameSkeleton('acme-too1s')).toBe(ACME);
    expect(nameSkeleton('acme-tooIs')).toBe(ACME);
    expect(nameSkeleton('0')).toBe(nameSkeleton('o'));
    expect(nameSkeleton('1')).toBe(nameSkeleton('l'));
    expect(nameSkeleton('I')).toBe(nameSkeleton('l'));
    expect(nameSkeleton('|')).toBe(nameSkeleton('l'));
    // No other ASCII letter or digit has a different prototype.
    const moved = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'].filter((c) => nameSkeleton(c) !== c.toLowerCase());
    expect(moved).toEqual(['m', 'I', 'M', '0', '1']);
  });

  it('decomposed-homoglyph: Cyrillic "ё" collides with Latin "ë" (TR39 maps decomposed text)', () => {
    expect(nameSkeleton('acm\u0451')).toBe(nameSkeleton('acm\u00EB'));
  });

  it('skeleton-idempotent: a skeleton is its own skeleton, even through compatibility prototypes', () => {
    // confusables.txt maps ⏨ to ₁₀, which NFKC turns into 10, which maps to "lo".
    expect(nameSkeleton('\u23E8')).toBe('lo');
    for (const name of ['acme-tools', 'ＡＣＭＥ Tools', '\u23E8', '\u2A27', 'Straße', 'ΑΣ', 'İstanbul']) {
      expect(nameSkeleton(nameSkeleton(name)), name).toBe(nameSkeleton(name));
    }
  });

  it('case-folding: "ß" folds to "ss" and final sigma folds like sigma', () => {
    expect(nameSkeleton('Straße')).toBe(nameSkeleton('STRASSE'));
    expect(nameSkeleton('acme-to\u03C2ls')).toBe(ACME); // ς folds to σ, which maps to "o"
  });
});

describe('names that must not collide', () => {
  it('different names stay different', () => {
    for (const name of ['acme-tool', 'acme-tools-2', 'globex', 'acme', 'acme-tooks']) expect(nameSkeleton(name), name).not.toBe(ACME);
  });

  it('documented limits of confusables.txt: diacritics, vv/w, i/l and middle dots are kept', () => {
    expect(nameSkeleton('acmé-tools')).not.toBe(ACME);
    expect(nameSkeleton('vv')).not.toBe(nameSkeleton('w'));
    expect(nameSkeleton('cl')).not.toBe(nameSkeleton('d'));
    expect(nameSkeleton('i')).not.toBe(nameSkeleton('l'));
    expect(nameSkeleton('acme·tools')).not.toBe(ACME);
  });
});

describe('publisher display names', () => {
  it('nfkc: ligatures, fullwidth letters and compatibility spaces are normalised', () => {
    expect(checkDisplayName('ﬁne Tools')).toBe('fine Tools');
    expect(checkDisplayName('ＡＣＭＥ Tools')).toBe('ACME Tools');
    expect(checkDisplayName('Acme\u00A0Tools')).toBe('Acme Tools');
  });

  it('whitespace: trimmed, and runs collapsed to one space', () => {
    expect(checkDisplayName('  Acme \u3000  Tools  ')).toBe('Acme Tools');
    expect(checkDisplayName('Acme\u1680Tools')).toBe('Acme Tools'); // ogham space mark: not changed by NFKC
    expect(checkDisplayName('Acme Tools')).toBe('Acme Tools');
    expect(checkDisplayName('Été à Zürich 東京')).toBe('Été à Zürich 東京');
  });

  it('control-chars: tabs, newlines, NUL, DEL and C1 controls are refused with code point and index', () => {
    for (const [name, label, index] of [
      ['Acme\tTools', 'U+0009', 4],
      ['Acme\nTools', 'U+000A', 4],
      ['\u0000Acme', 'U+0000', 0],
      ['Acme\u007F', 'U+007F', 4],
      ['Ac\u0085me', 'U+0085', 2],
    ] as const) {
      const e = thrown(() => checkDisplayName(name));
      expect(e.message, label).toMatch(new RegExp(`^invalid publisher display name: .* contains the control character ${label.replace('+', '\\+')} at index ${index}`));
      expect(e.hint).toMatch(/one line with plain spaces/);
    }
    expect(thrown(() => checkDisplayName('Acme\u2028Tools')).message).toMatch(/line separator U\+2028 \(LINE SEPARATOR\) at index 4/);
  });

  it('bidi-override: embeddings, overrides and isolates are refused and escaped in the message', () => {
    for (let cp = 0x202a; cp <= 0x202e; cp++) expect(() => checkDisplayName(`Acme${String.fromCodePoint(cp)}Tools`)).toThrow(/bidirectional control/);
    for (let cp = 0x2066; cp <= 0x2069; cp++) expect(() => checkDisplayName(`Acme${String.fromCodePoint(cp)}Tools`)).toThrow(/bidirectional control/);
    const e = thrown(() => checkDisplayName('Acme\u202ESloot'));
    expect(e.message).toContain('"Acme\\u202ESloot" contains the bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE) at index 4');
    expect(e.message).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    expect(e.hint).toMatch(/^remove it/);
  });

  it('zero-width: joiners, spaces, word joiner, BOM and Hangul filler are refused', () => {
    for (const [c, label] of [
      ['\u200B', 'U+200B (ZERO WIDTH SPACE)'],
      ['\u200C', 'U+200C (ZERO WIDTH NON-JOINER)'],
      ['\u200D', 'U+200D (ZERO WIDTH JOINER)'],
      ['\u2060', 'U+2060 (WORD JOINER)'],
      ['\uFEFF', 'U+FEFF (ZERO WIDTH NO-BREAK SPACE)'],
      ['\u00AD', 'U+00AD (SOFT HYPHEN)'],
      ['\u3164', 'U+3164 (HANGUL FILLER)'],
      ['\uFE0F', 'U+FE0F'],
    ] as const) {
      const e = thrown(() => checkDisplayName(`Ac${c}me`));
      expect(e.message, label).toContain(`contains the invisible character ${label} at index 2`);
      expect(e.hint).toMatch(/^remove it: invisible and zero-width characters/);
    }
  });

  it('non-text: private-use, unassigned and lone surrogate code points are refused', () => {
    expect(thrown(() => checkDisplayName('Acme\uE000')).message).toMatch(/private-use character U\+E000 at index 4/);
    expect(thrown(() => checkDisplayName('Acme\u0378')).message).toMatch(/unassigned code point U\+0378 at index 4/);
    expect(thrown(() => checkDisplayName('Acme\uD800')).message).toMatch(/lone surrogate U\+D800 at index 4/);
  });

  it('too-long: more than MAX_DISPLAY_NAME_LENGTH code points after normalisation', () => {
    expect(MAX_DISPLAY_NAME_LENGTH).toBe(64);
    expect(checkDisplayName('x'.repeat(64))).toHaveLength(64);
    expect(checkDisplayName(` ${'x'.repeat(64)}   `)).toHaveLength(64); // trimmed first
    expect(checkDisplayName('😀'.repeat(63) + 'x')).toBe('😀'.repeat(63) + 'x'); // code points, not UTF-16 units
    const e = thrown(() => checkDisplayName('x'.repeat(65)));
    expect(e.message).toMatch(/is 65 characters long after normalisation \(at most 64 are allowed\)/);
    expect(e.hint).toBe('shorten it to at most 64 characters');
    // NFKC expands U+FDFA into 18 characters: the limit applies to the normalised name.
    expect(() => checkDisplayName('\uFDFA'.repeat(4))).toThrow(/is 7\d characters long after normalisation/);
  });

  it('huge-input: a megabyte name is refused before normalisation, with a bounded message', () => {
    const e = thrown(() => checkDisplayName(`${' '.repeat(1_000_000)}x`));
    expect(e.message).toMatch(/is too long/);
    expect(e.message.length).toBeLessThan(300);
  });

  it('empty: empty, blank and letterless names are refused', () => {
    for (const name of ['', '   ', '\u3000']) expect(thrown(() => checkDisplayName(name)).message).toMatch(/is empty after trimming whitespace/);
    expect(thrown(() => checkDisplayName('---')).message).toMatch(/has no letter or digit/);
    expect(thrown(() => checkDisplayName(null)).message).toMatch(/<object> is not a string/);
  });

  it('is idempotent: a checked name checks to itself', () => {
    for (const name of ['  ﬁne   Tools ', 'ＡＣＭＥ Tools', 'Été à Zürich']) {
      const once = checkDisplayName(name);
      expect(checkDisplayName(once)).toBe(once);
    }
  });
});

describe('publisher name keys', () => {
  it('one key when the slug and the display name look alike, two otherwise, sorted', () => {
    expect(publisherNameKeys('acme-tools', 'Acme Tools')).toEqual(['acrnetools']);
    expect(publisherNameKeys('acme', 'Acme Tools')).toEqual(['acrne', 'acrnetools']);
    expect(publisherNameKeys('globex', 'Acme')).toEqual(['acrne', 'globex']);
  });

  it('copycat: a publisher whose display name imitates another slug shares a key with it', () => {
    const original = new Set(publisherNameKeys('acme-tools', 'Acme Tools'));
    const copycat = publisherNameKeys('totally-legit', 'ＡＣＭＥ  T\u03BFols');
    expect(copycat.some((key) => original.has(key))).toBe(true);
    const other = publisherNameKeys('globex', 'Globex Corporation');
    expect(other.some((key) => original.has(key))).toBe(false);
  });

  it('case: an all-capitals display name shares a key with its mixed-case twin (confusables.txt maps `I` to `l`, not `i`)', () => {
    expect(nameSkeleton('HOOLI')).not.toBe(nameSkeleton('Hooli'));
    const twin = new Set(publisherNameKeys('hooli', 'Hooli'));
    expect(publisherNameKeys('totally-legit', 'HOOLI').some((key) => twin.has(key))).toBe(true);
    expect(publisherNameKeys('totally-legit', 'HOOLI')).toEqual(['hooli', 'hooll', 'totallylegit']);
    // A capital I that imitates an l still collides, through the other key.
    expect(publisherNameKeys('other', 'Acme TooIs').some((key) => new Set(publisherNameKeys('acme-tools', 'Acme Tools')).has(key))).toBe(true);
  });

  it('validates both names before computing keys', () => {
    expect(() => publisherNameKeys('Acme', 'Acme')).toThrow(/invalid publisher slug/);
    expect(() => publisherNameKeys('acme', 'Ac\u200Dme')).toThrow(/invalid publisher display name/);
  });
});
