/**
 * The web UI's hazards, each in a real browser: tenant text that holds markup renders as text and
 * runs nothing (`markup-in-tenant-text`); a cookie-authenticated write without the page's CSRF
 * token is refused (`csrf-missing-token`); another tenant's nodes never appear
 * (`cross-tenant-listing`); a browser that is not signed in gets the sign-in message
 * (`not-signed-in`).
 *
 * The page's CSP would block an injected `onerror` handler anyway, so the markup test does not rely
 * on the marker global alone: it asserts that no element was created from tenant text at all.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, pageErrors, signedInPage } from './browser.js';
import { plainSource } from './nodes.js';
import { bearer, PREFIX, startUiServer, type UiServer } from './ui-server.js';

const ANA = { tenantId: 'acme', userId: 'ana' };
const ANA_TOKEN = bearer('acme', 'ana');
const RITA_TOKEN = bearer('acme', 'rita', ['approver']);

/** Markup that would run `window.__pwned = n` if it ever became HTML. */
const markup = (n: number) => `<img src=x onerror="window.__pwned=${n}"><script>window.__pwned=${n}</script><b>bold</b>`;

let browser: Browser;
let server: UiServer;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), startUiServer()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Elements that only tenant markup could have created, and the marker global. */
async function injected(page: Page): Promise<{ elements: number; pwned: unknown }> {
  const elements = await page.locator('main img, main b, main script, #app script').count();
  return { elements, pwned: await page.evaluate('window.__pwned') };
}

describe('the web UI renders tenant text as text', () => {
  it('markup-in-tenant-text: descriptions, sources, review notes, diagnostics and logs with HTML create no element and run nothing', async () => {
    const source = plainSource('Marker', markup(2));
    expect((await server.call('POST', '/custom-nodes', ANA_TOKEN, { name: 'Marker', version: '1.0.0', description: markup(1), sourceCode: source })).status).toBe(201);
    expect((await server.call('POST', '/custom-nodes/Marker@1.0.0/approve', RITA_TOKEN, { note: markup(3) })).status).toBe(200);
    expect((await server.call('POST', '/custom-nodes/Marker@1.0.0/deprecate', ANA_TOKEN, { message: markup(4) })).status).toBe(200);

    const { page, context, record } = await signedInPage(browser, server.origin, ANA);
    await page.goto(`${server.uiUrl}#/versions/Marker%401.0.0`);
    await page.getByRole('heading', { name: 'Marker 1.0.0', level: 1 }).waitFor();
    // Shown, character for character, as text.
    expect(await page.locator('p.description').textContent()).toBe(markup(1));
    expect(await page.getByRole('region', { name: 'Source of index.ts' }).locator('tr[data-line="2"] .line-source').textContent()).toBe(`// ${markup(2)}`);
    expect(await page.locator('.fact', { hasText: 'Review note' }).locator('dd').textContent()).toBe(markup(3));
    expect(await page.locator('.fact', { hasText: 'Deprecated' }).locator('dd').textContent()).toContain(markup(4));
    expect(await page.locator('table.audit').textContent()).toContain(markup(3));
    expect(await injected(page)).toEqual({ elements: 0, pwned: undefined });

    // A compile diagnostic and the source it shows, with markup in them.
    await page.goto(`${server.uiUrl}#/upload`);
    await page.getByLabel('Name').fill('Marker');
    await page.getByLabel('Version').fill('1.0.1');
    await page.getByLabel('Description').fill(markup(5));
    await page.getByLabel('Source (TypeScript)').fill(`const label = "${markup(6).replace(/"/g, "'")}";\nconst broken = ;\n`);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const problems = page.getByRole('region', { name: 'Uploaded source with its problems' });
    await problems.waitFor();
    expect(await problems.locator('tr[data-line="1"] .line-source').textContent()).toBe(`const label = "${markup(6).replace(/"/g, "'")}";`);
    expect(await page.getByRole('alert').textContent()).toMatch(/compile failed/);
    expect(await injected(page)).toEqual({ elements: 0, pwned: undefined });

    // Logs and values of a playground script.
    await page.goto(`${server.uiUrl}#/playground`);
    await page.getByRole('textbox', { name: 'Script' }).fill(`console.log(${JSON.stringify(markup(7))});\nresult = ${JSON.stringify(markup(8))};`);
    await page.getByRole('button', { name: 'Run script' }).click();
    const output = page.locator('.log-lines');
    await expect.poll(() => output.textContent(), { timeout: 30_000 }).toBe(markup(7));
    expect(await page.getByRole('region', { name: 'Value' }).textContent()).toBe(JSON.stringify(markup(8)));
    expect(await injected(page)).toEqual({ elements: 0, pwned: undefined });

    // The nodes list.
    await page.goto(`${server.uiUrl}#/nodes`);
    await page.getByRole('row', { name: /Marker/ }).waitFor();
    expect(await injected(page)).toEqual({ elements: 0, pwned: undefined });
    expect(pageErrors(record)).toEqual([]);
    await context.close();
  });
});

describe('cross-site request forgery', () => {
  it('csrf-missing-token: a write from the signed-in page without the token from /session is refused 403; with it, it goes through', async () => {
    expect((await server.call('POST', '/custom-nodes', ANA_TOKEN, { name: 'Csrf', version: '1.0.0', sourceCode: plainSource('Csrf') })).status).toBe(201);
    const { page, context } = await signedInPage(browser, server.origin, ANA);
    await page.goto(server.uiUrl);
    await page.getByRole('heading', { name: 'Nodes', level: 1 }).waitFor();
    const post = (headers: Record<string, string>) =>
      page.evaluate(
        async ({ url, headers }) => {
          const response = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ message: 'forged' }) });
          return { status: response.status, body: (await response.json()) as { error?: { code: string; hint?: string } } };
        },
        { url: `${PREFIX}/custom-nodes/Csrf@1.0.0/deprecate`, headers },
      );

    const missing = await post({});
    expect(missing.status).toBe(403);
    expect(missing.body.error).toMatchObject({ code: 'CSRF_TOKEN_MISSING', hint: expect.stringContaining('X-CSRF-Token') });
    const forged = await post({ 'x-csrf-token': 'forged-token' });
    expect(forged.status).toBe(403);
    expect(forged.body.error?.code).toBe('CSRF_TOKEN_INVALID');
    // Nothing changed.
    expect((await server.call('GET', '/custom-nodes/Csrf@1.0.0', ANA_TOKEN)).json.customNode.deprecated).toBeUndefined();

    // The token the page reads from /session is what makes the same request pass: the app sends it on every write.
    const token = await page.evaluate(async (url) => ((await (await fetch(url, { credentials: 'same-origin' })).json()) as { csrfToken: string }).csrfToken, `${PREFIX}/session`);
    expect((await post({ 'x-csrf-token': token })).status).toBe(200);
    expect((await server.call('GET', '/custom-nodes/Csrf@1.0.0', ANA_TOKEN)).json.customNode.deprecated).toMatchObject({ message: 'forged' });
    await context.close();
  });
});

describe('tenants', () => {
  it("cross-tenant-listing: another tenant's node is never listed, opened or run", async () => {
    const eve = bearer('evil', 'eve', ['approver']);
    expect((await server.call('POST', '/custom-nodes', eve, { name: 'EvilNode', version: '1.0.0', description: 'belongs to evil', sourceCode: plainSource('EvilNode') })).status).toBe(201);
    expect((await server.call('POST', '/custom-nodes/EvilNode@1.0.0/approve', eve)).status).toBe(200);
    expect((await server.call('POST', '/custom-nodes/EvilNode@1.0.0/activate', eve)).status).toBe(200);
    expect((await server.call('POST', '/custom-nodes', ANA_TOKEN, { name: 'AcmeOwn', version: '1.0.0', sourceCode: plainSource('AcmeOwn') })).status).toBe(201);

    // The owner sees it: the name and the page are right.
    const owner = await signedInPage(browser, server.origin, { tenantId: 'evil', userId: 'eve' });
    await owner.page.goto(server.uiUrl);
    await owner.page.getByRole('row', { name: /EvilNode/ }).waitFor();
    expect(await owner.page.getByRole('row', { name: /AcmeOwn/ }).count()).toBe(0);
    await owner.context.close();

    const { page, context } = await signedInPage(browser, server.origin, ANA);
    await page.goto(server.uiUrl);
    await page.getByRole('row', { name: /AcmeOwn/ }).waitFor();
    expect(await page.getByText('EvilNode').count()).toBe(0);
    expect(await page.locator('tr[data-node]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-node')))).not.toContain('EvilNode');

    await page.goto(`${server.uiUrl}#/nodes/EvilNode`);
    await page.getByRole('heading', { name: 'Not found', level: 1 }).waitFor();
    await page.goto(`${server.uiUrl}#/versions/EvilNode%401.0.0`);
    await page.getByRole('heading', { name: 'Not found', level: 1 }).waitFor();
    expect(await page.getByText('belongs to evil').count()).toBe(0);

    await page.goto(`${server.uiUrl}#/playground?node=EvilNode`);
    await page.getByRole('heading', { name: 'Playground', level: 1 }).waitFor();
    const suggested = await page.locator('datalist option').evaluateAll((options) => options.map((o) => o.getAttribute('value')));
    expect(suggested).toContain('AcmeOwn');
    expect(suggested).not.toContain('EvilNode');
    await page.getByRole('button', { name: 'Run node' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/404 NOT_FOUND/);
    await context.close();
  });
});

describe('signing in', () => {
  it('not-signed-in: a browser without a session gets the sign-in message, with the link the host configured', async () => {
    const withLink = await startUiServer({ ui: { signInUrl: '/login?next=%2Fapi%2Fui' } });
    try {
      for (const [target, link] of [
        [server, null],
        [withLink, '/login?next=%2Fapi%2Fui'],
      ] as const) {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(target.uiUrl);
        await page.getByRole('heading', { name: 'You are not signed in', level: 1 }).waitFor();
        expect(await page.getByRole('navigation').getByRole('link').count()).toBe(0);
        const signIn = page.getByRole('link', { name: 'Sign in' });
        expect(await signIn.count()).toBe(link === null ? 0 : 1);
        if (link !== null) expect(await signIn.getAttribute('href')).toBe(link);
        await context.close();
      }
    } finally {
      await withLink.close();
    }
  });
});
