/**
 * The suites' browser helper: a missing Chromium fails with what to run (never a skip).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHROMIUM_ENV, launchChromium } from './browser.js';

const before = process.env[CHROMIUM_ENV];

afterEach(() => {
  if (before === undefined) delete process.env[CHROMIUM_ENV];
  else process.env[CHROMIUM_ENV] = before;
});

describe('launchChromium', () => {
  it('fails, naming the prepare command, when the binary is missing', async () => {
    process.env[CHROMIUM_ENV] = '/nonexistent/chromium';
    await expect(launchChromium()).rejects.toThrow(/Chromium is not installed at \/nonexistent\/chromium \(BTREE_PLUGINS_CHROMIUM\)\. HINT: run `npx tsx scripts\/test-servers\.ts prepare`/);
  });
});
