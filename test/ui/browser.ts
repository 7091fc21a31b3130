/**
 * The browser of the UI suites: Debian's Chromium driven by playwright-core (pinned to the release
 * made for the same Chromium major; browser downloads are blocked here, so never `playwright
 * install`). A missing binary is installed from Debian (as root), or fails the suite with what to
 * run — it is never a skip.
 *
 * Also: a signed-in browser context (the test server's `authenticate` reads the `session` cookie),
 * screenshots at the two widths the UI must work at, and the horizontal-overflow check.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { DEBIAN_TOOLS, ensureDebianTool } from '../setup/debian-tools.js';

/** The environment variable that names another Chromium binary. */
export const CHROMIUM_ENV = 'BTREE_PLUGINS_CHROMIUM';
/** Where Debian's `chromium` package puts it. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** Where screenshots go (the repository's `.tmp/`, which git ignores). */
export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', '.tmp', 'ui-screenshots');

/** The widths the UI must work at. */
export const WIDTHS = [1280, 400] as const;

/**
 * Starts headless Chromium: the binary named by {@link CHROMIUM_ENV}, else Debian's (installed with
 * apt-get first when missing and running as root, as the other Debian tools of the suites are).
 * @throws Error saying how to install it when the binary is missing and cannot be installed here.
 */
export async function launchChromium(): Promise<Browser> {
  const named = process.env[CHROMIUM_ENV];
  if (named !== undefined && !existsSync(named)) {
    throw new Error(
      `Chromium is not installed at ${named} (${CHROMIUM_ENV}). ` +
        "HINT: run `npx tsx scripts/test-servers.ts prepare` (it installs Debian's chromium package) and unset " +
        `${CHROMIUM_ENV}, or point it at a Chromium whose major matches playwright-core's (never \`playwright install\`).`,
    );
  }
  let executablePath = named ?? DEFAULT_CHROMIUM;
  if (named === undefined && !existsSync(executablePath)) {
    try {
      executablePath = await ensureDebianTool(DEBIAN_TOOLS.chromium, (line) => console.log(`[debian] ${line}`));
    } catch (e) {
      throw new Error(`Chromium is not installed at ${DEFAULT_CHROMIUM}: ${(e as Error).message}. HINT: run \`npx tsx scripts/test-servers.ts prepare\` as root, or set ${CHROMIUM_ENV}`);
    }
  }
  // --no-sandbox: the suites run as root, where Chromium's own sandbox refuses to start.
  return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}

/** The `session` cookie value of a principal: `tenant|user|role,role`, as test/http/api-server.ts's tokens. */
export function sessionCookie(tenantId: string, userId: string, roles: readonly string[] = []): string {
  return encodeURIComponent(`${tenantId}|${userId}|${roles.join(',')}`);
}

/** Options of {@link signedInPage}. */
export interface SignedIn {
  tenantId: string;
  userId: string;
  roles?: readonly string[];
  /** Viewport width (default 1280). */
  width?: number;
}

/** What a page did that a test asserts on afterwards. */
export interface PageRecord {
  /** Uncaught errors and console errors (CSP violations land here). */
  errors: string[];
}

/** A new context signed in as `who` (a `session` cookie for `origin`) and a page in it. */
export async function signedInPage(browser: Browser, origin: string, who: SignedIn): Promise<{ context: BrowserContext; page: Page; record: PageRecord }> {
  const context = await browser.newContext({ viewport: { width: who.width ?? 1280, height: 900 } });
  await context.addCookies([{ name: 'session', value: sessionCookie(who.tenantId, who.userId, who.roles), url: origin }]);
  const page = await context.newPage();
  const record: PageRecord = { errors: [] };
  page.on('pageerror', (error) => record.errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') record.errors.push(`console: ${message.text()}`);
  });
  return { context, page, record };
}

/**
 * What the page logged as errors, less Chromium's own line for each 4xx answer (the suites cause
 * those on purpose). A CSP violation (an inline style or script, `eval`) or an uncaught error stays.
 */
export function pageErrors(record: PageRecord): string[] {
  return record.errors.filter((e) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(e));
}

/** `document.documentElement.scrollWidth` and the viewport width. */
export async function widths(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })') as Promise<{ scrollWidth: number; innerWidth: number }>;
}

/**
 * Screenshots the page at each width into {@link SCREENSHOT_DIR} as `<name>-<width>.png`, and
 * checks that nothing overflows horizontally at any of them. Leaves the viewport at 1280.
 */
export async function screenshots(page: Page, name: string): Promise<string[]> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const files: string[] = [];
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    // Layout settles on the next frame.
    await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
    const { scrollWidth, innerWidth } = await widths(page);
    expect(scrollWidth, `${name} at ${width} px: the document is ${scrollWidth} px wide, wider than the ${innerWidth} px viewport`).toBeLessThanOrEqual(innerWidth);
    const file = join(SCREENSHOT_DIR, `${name}-${width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    files.push(file);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  return files;
}
