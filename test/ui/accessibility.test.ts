/**
 * Accessible basics in a real browser: keyboard-only use (Tab to Upload, Enter; a confirmation
 * dialog opened, answered and closed from the keyboard, focus returning to its button), a visible
 * focus outline, a name on every control, and no horizontal overflow at 400 px, even with long
 * unbroken tenant text.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, pageErrors, signedInPage, widths } from './browser.js';
import { brokenGreeter, greeterSource, plainSource } from './nodes.js';
import { bearer, startUiServer, type UiServer } from './ui-server.js';

const ANA = { tenantId: 'acme', userId: 'ana' };
const RITA = { tenantId: 'acme', userId: 'rita', roles: ['approver'] };
const ANA_TOKEN = bearer('acme', 'ana');

let browser: Browser;
let server: UiServer;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), startUiServer()]);
  // A name as long as the grammar allows, a description without a single space, a long source line.
  const longName = `Long${'Name'.repeat(15)}`;
  const longLine = `// ${'x'.repeat(400)}`;
  expect((await server.call('POST', '/custom-nodes', ANA_TOKEN, { name: longName, version: '1.0.0', description: 'y'.repeat(2000), sourceCode: plainSource(longName, longLine) })).status).toBe(201);
  expect((await server.call('POST', '/custom-nodes', ANA_TOKEN, { name: 'Greeter', version: '1.0.0', sourceCode: greeterSource() })).status).toBe(201);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The focused element: its tag, text, accessible label and outline. */
function focused(page: Page): Promise<{ tag: string; text: string; label: string; outlineStyle: string; outlineWidth: string } | null> {
  return page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const label = el.labels && el.labels.length ? el.labels[0].textContent : (el.getAttribute('aria-label') || '');
    return { tag: el.tagName, text: (el.textContent || '').trim(), label, outlineStyle: style.outlineStyle, outlineWidth: style.outlineWidth };
  })()`);
}

/** Presses Tab until the focused element's text is `text` (at most `max` times). */
async function tabTo(page: Page, text: string, max = 15): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if ((await focused(page))?.text === text) return;
  }
  throw new Error(`${max} presses of Tab never reached "${text}"`);
}

/** Every input, select, textarea and button of the page without a name (label, aria-label or text). */
function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(`[...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => el.type !== 'hidden')
    .filter((el) => {
      const fromLabels = el.labels ? [...el.labels].map((l) => l.textContent).join(' ') : '';
      const name = fromLabels || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' ? el.textContent : '');
      return !name || !name.trim();
    })
    .map((el) => el.outerHTML.slice(0, 120))`);
}

describe('accessible basics', () => {
  it('keyboard: Tab to Upload and press Enter opens the upload page, focus on its heading, then on Name; focus is visible', async () => {
    const { page, context, record } = await signedInPage(browser, server.origin, ANA);
    await page.goto(server.uiUrl);
    await page.getByRole('heading', { name: 'Nodes', level: 1 }).waitFor();

    // The first stop is the skip link.
    await page.keyboard.press('Tab');
    expect((await focused(page))?.text).toBe('Skip to content');
    await tabTo(page, 'Upload');
    const link = await focused(page);
    expect(link).toMatchObject({ tag: 'A', outlineStyle: 'solid' });
    expect(Number.parseFloat(link!.outlineWidth)).toBeGreaterThanOrEqual(2);

    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toMatch(/#\/upload$/);
    await expect.poll(async () => (await focused(page))?.text).toBe('Upload a node');
    expect((await focused(page))?.tag).toBe('H1');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ tag: 'INPUT', label: 'Name' });
    await page.keyboard.type('Greeter');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ tag: 'INPUT', label: 'Version' });
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Upload' }).getAttribute('aria-current')).toBe('page');
    expect(pageErrors(record)).toEqual([]);
    await context.close();
  });

  it('keyboard: a confirmation dialog opens with Enter, takes focus, closes with Escape and gives focus back to its button', async () => {
    const { page, context } = await signedInPage(browser, server.origin, RITA);
    await page.goto(`${server.uiUrl}#/versions/Greeter%401.0.0`);
    await page.getByRole('heading', { name: 'Greeter 1.0.0', level: 1 }).waitFor();
    await tabTo(page, 'Approve', 25);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Approve Greeter 1.0.0?' });
    await dialog.waitFor();
    expect(await focused(page)).toMatchObject({ tag: 'TEXTAREA', label: 'Note (optional)' });
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await focused(page)).toMatchObject({ tag: 'BUTTON', text: 'Approve' });
    // Nothing was approved.
    expect((await server.call('GET', '/custom-nodes/Greeter@1.0.0', ANA_TOKEN)).json.customNode.status).toBe('draft');

    // And confirmed from the keyboard: Tab from the note to Cancel, then to Approve, Enter.
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.type('keyboard only');
    await page.keyboard.press('Tab');
    expect((await focused(page))?.text).toBe('Cancel');
    await page.keyboard.press('Tab');
    expect((await focused(page))?.text).toBe('Approve');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Greeter 1.0.0 approved.');
    expect((await server.call('GET', '/custom-nodes/Greeter@1.0.0', ANA_TOKEN)).json.customNode).toMatchObject({ status: 'approved', reviewNote: 'keyboard only' });
    await context.close();
  });

  it('every control of every page has a name', async () => {
    const { page, context } = await signedInPage(browser, server.origin, RITA);
    for (const [hash, heading] of [
      ['#/nodes', 'Nodes'],
      ['#/upload', 'Upload a node'],
      ['#/playground', 'Playground'],
      ['#/marketplace', 'Marketplace'],
      ['#/versions/Greeter%401.0.0', 'Greeter 1.0.0'],
    ] as const) {
      await page.goto(`${server.uiUrl}${hash}`);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      expect(await unnamedControls(page), hash).toEqual([]);
    }
    // The dialogs' fields too.
    await page.getByRole('button', { name: 'Deprecate' }).click();
    await page.getByRole('dialog').waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await context.close();
  });

  it('at 400 px nothing overflows horizontally, even with long unbroken names, descriptions and source lines', async () => {
    const { page, context } = await signedInPage(browser, server.origin, { ...ANA, width: 400 });
    const longName = `Long${'Name'.repeat(15)}`;
    for (const [hash, heading] of [
      ['#/nodes', 'Nodes'],
      [`#/nodes/${longName}`, longName],
      [`#/versions/${longName}%401.0.0`, `${longName} 1.0.0`],
      ['#/upload', 'Upload a node'],
      ['#/playground', 'Playground'],
      ['#/marketplace', 'Marketplace'],
    ] as const) {
      await page.goto(`${server.uiUrl}${hash}`);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      const { scrollWidth, innerWidth } = await widths(page);
      expect(scrollWidth, hash).toBeLessThanOrEqual(innerWidth);
    }
    // Diagnostics under a long line.
    await page.goto(`${server.uiUrl}#/upload`);
    await page.getByLabel('Name').fill('Greeter');
    await page.getByLabel('Version').fill('2.0.0');
    await page.getByLabel('Source (TypeScript)').fill(`// ${'z'.repeat(300)}\n${brokenGreeter()}`);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByRole('region', { name: 'Uploaded source with its problems' }).waitFor();
    const { scrollWidth, innerWidth } = await widths(page);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    await context.close();
  });
});
