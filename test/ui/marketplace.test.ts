/**
 * The marketplace pages in a real browser: browse, search and sort; a listing with its versions;
 * install (confirmed in a dialog) and review. Another tenant's listing description and the
 * review text hold markup: both render as text. Screenshots of the list and a listing.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, pageErrors, screenshots, SCREENSHOT_DIR, signedInPage } from './browser.js';
import { plainSource } from './nodes.js';
import { bearer, startUiServer, type UiServer } from './ui-server.js';

const GUS = bearer('globex', 'gus', ['approver']);
const ADMIN = bearer('ops', 'olga', ['platform-admin']);
const DESCRIPTION = 'Welcomes <img src=x onerror="window.__pwned=1"> everyone';
const REVIEW = 'Works <img src=x onerror="window.__pwned=2"><b>well</b>';

let browser: Browser;
let server: UiServer;

/** Uploads, approves, lists and publishes one of globex's nodes. */
async function publish(name: string, description: string): Promise<void> {
  expect((await server.call('POST', '/custom-nodes', GUS, { name, version: '1.0.0', sourceCode: plainSource(name) })).status).toBe(201);
  expect((await server.call('POST', `/custom-nodes/${name}@1.0.0/approve`, GUS)).status).toBe(200);
  expect((await server.call('POST', '/marketplace/listings', GUS, { source: `${name}@1.0.0`, category: 'greetings', description })).status).toBe(201);
  expect((await server.call('POST', `/marketplace/listings/globex-tools.${name}/versions/1.0.0/publish`, ADMIN)).status).toBe(200);
}

beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), startUiServer()]);
  expect((await server.call('POST', '/marketplace/publishers', GUS, { slug: 'globex-tools', displayName: 'Globex Tools' })).status).toBe(201);
  await publish('Welcomer', DESCRIPTION);
  await publish('Farewell', 'Says goodbye to everyone');
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  console.log(`UI screenshots: ${SCREENSHOT_DIR}`);
});

describe('the marketplace pages', () => {
  it('browse, search, install with confirmation, review; other tenants\' text stays text', async () => {
    const { page, context, record } = await signedInPage(browser, server.origin, { tenantId: 'acme', userId: 'ana' });
    await page.goto(server.uiUrl);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Marketplace' }).click();
    await page.getByRole('heading', { name: 'Marketplace', level: 1 }).waitFor();
    const cards = page.locator('li.card');
    await expect.poll(() => cards.count()).toBe(2);
    const welcomer = page.locator('li.card[data-listing="globex-tools.Welcomer"]');
    expect(await welcomer.locator('.card-description').textContent()).toBe(DESCRIPTION);
    expect(await welcomer.textContent()).toMatch(/by Globex Tools\s*community/);
    expect(await page.locator('main img').count()).toBe(0);
    await screenshots(page, 'marketplace');

    // Search, and sort: the query lands in the address, so Back works.
    await page.getByRole('searchbox', { name: 'Search' }).fill('goodbye');
    await page.getByLabel('Sort by').selectOption('installs');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.url()).toMatch(/#\/marketplace\?q=goodbye&sort=installs$/);
    await expect.poll(() => cards.count()).toBe(1);
    expect(await cards.locator('.card-title').textContent()).toBe('Farewell');
    expect(await page.getByRole('heading', { level: 2, name: /Listings matching/ }).textContent()).toBe('Listings matching “goodbye”');
    await page.goBack();
    await expect.poll(() => cards.count()).toBe(2);

    // A listing: install, confirmed.
    await welcomer.getByRole('link', { name: 'Welcomer' }).click();
    await page.getByRole('heading', { name: 'Welcomer', level: 1 }).waitFor();
    expect(await page.locator('p.description').textContent()).toBe(DESCRIPTION);
    await page.getByRole('button', { name: 'Install' }).click();
    const dialog = page.getByRole('dialog', { name: 'Install Welcomer 1.0.0?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/use globex-tools\.Welcomer as Welcomer, pinned to 1\.0\.0/);
    await dialog.getByRole('button', { name: 'Install' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Installed Welcomer 1.0.0 as Welcomer.');
    const installPanel = page.locator('section.panel', { has: page.getByRole('heading', { name: 'Install', level: 2 }) });
    await expect.poll(() => installPanel.textContent()).toMatch(/Your tenant has globex-tools\.Welcomer installed as Welcomer, pinned to 1\.0\.0/);
    expect((await server.call('GET', '/marketplace/installs', bearer('acme', 'ana'))).json.installs).toEqual([expect.objectContaining({ as: 'Welcomer', listingId: 'globex-tools.Welcomer', version: '1.0.0', installedBy: 'ana' })]);

    // A review with markup in it.
    await page.getByLabel('Rating').selectOption('4');
    await page.getByRole('textbox', { name: 'Review', exact: true }).fill(REVIEW);
    await page.getByRole('button', { name: 'Submit review' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Your review was saved.');
    const review = page.locator('li.review');
    await expect.poll(() => review.count()).toBe(1);
    expect(await review.locator('.review-body').textContent()).toBe(REVIEW);
    expect(await review.locator('.review-rating').textContent()).toMatch(/4 of 5 stars · version 1\.0\.0/);
    expect(await page.locator('main img, main b').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    await screenshots(page, 'listing');

    // The tenant's installs on the marketplace page.
    await page.goto(`${server.uiUrl}#/marketplace`);
    const installs = page.locator('section.panel', { has: page.getByRole('heading', { name: 'Your installs' }) });
    await expect.poll(() => installs.textContent()).toMatch(/Welcomer.*globex-tools\.Welcomer.*1\.0\.0/s);
    expect(pageErrors(record)).toEqual([]);
    await context.close();
  });
});
