/**
 * Maps guest stack traces onto the tenant's TypeScript sources.
 *
 * Guest frames name the bundle by the synthetic file name the sandbox compiled it under
 * (`wf-bundle:<sha-prefix>.js`); runtime frames (`wf-runtime:…`) are dropped. Only paths from the
 * tenant's own source map are printed, reduced to a relative path, so that no absolute path (of
 * the compile machine or the host) appears in an error.
 * @module
 */
import { SourceMapConsumer } from 'source-map-js';

/** The file name a bundle is compiled under inside the isolate. */
export function bundleFileName(sha256: string): string {
  return `wf-bundle:${sha256.slice(0, 12)}.js`;
}

const FRAME = /wf-bundle:[0-9a-f]{1,64}\.js:(\d+):(\d+)/g;

/** Parses a source map once; returns `undefined` when it is not a usable map. */
export function parseSourceMap(json: string | undefined): SourceMapConsumer | undefined {
  if (!json) return undefined;
  try {
    return new SourceMapConsumer(JSON.parse(json));
  } catch {
    return undefined;
  }
}

/** Relative, host-free form of a source path recorded in a source map. */
export function cleanSourcePath(source: string): string {
  let s = source.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\\/g, '/');
  const up = s.lastIndexOf('../');
  if (up >= 0) s = s.slice(up + 3);
  if (s.startsWith('/') || /^[a-z]:\//i.test(s)) s = s.slice(s.lastIndexOf('/') + 1);
  return s.replace(/^\.\//, '') || 'index.ts';
}

/**
 * Rewrites bundle positions in `text` to `file.ts:line:column` and drops runtime frames.
 * `factoryMap` (factory → bundle) is applied first when frames point into the factory.
 */
export function mapStack(text: string, map: SourceMapConsumer | undefined, factoryMap?: SourceMapConsumer): string {
  const lines = text.split('\n').filter((l) => !/^\s+at .*wf-runtime:/.test(l));
  return lines
    .join('\n')
    .replace(FRAME, (whole, lineText: string, colText: string) => {
      let line = Number(lineText);
      let column = Number(colText) - 1;
      if (factoryMap) {
        const p = factoryMap.originalPositionFor({ line, column });
        if (p.line == null) return 'bundle.js';
        line = p.line;
        column = p.column ?? 0;
      }
      if (!map) return `bundle.js:${line}:${column + 1}`;
      const pos = map.originalPositionFor({ line, column });
      if (pos.source == null || pos.line == null) return `bundle.js:${line}:${column + 1}`;
      return `${cleanSourcePath(pos.source)}:${pos.line}:${(pos.column ?? 0) + 1}`;
    });
}
