import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { TEST_PASSWORD } from './helpers/network.js';
import { launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js';
import { api, pageText, startSyncNetwork, type SyncNetwork } from './helpers/sync-network.js';

describe('browser: a partner manager approves a pending release; the operator sees the sync status change', function () {
  this.timeout(90000);
  let net: SyncNetwork;
  let browser: Browser;

  before(async () => {
    net = await startSyncNetwork([{ id: 'south', contract: { sync: { requiresApproval: true } }, look: { siteName: 'South Market', colours: { primary: '#c2571a' } } }]);
    await api(net.main.url, 'POST', '/admin/api/releases', { note: 'first' });
    await api(net.main.url, 'POST', '/admin/api/partners/south/push', {});
    await api(net.partners.south!.url, 'POST', '/manage/api/pending/1/approve', {});
    net.write('pages/about.md', pageText('About us', 'OPENING-HOURS-CHANGED', 1500));
    await api(net.main.url, 'POST', '/admin/api/releases', { note: 'New opening hours' });
    assert.equal((await api(net.main.url, 'POST', '/admin/api/partners/south/push', {})).body.outcome, 'pending');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await net.close();
  });

  async function login(page: Page, base: string, path: string, username: string) {
    await page.goto(`${base}${path}/login`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', TEST_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}${path}/`);
  }

  it('shows the card with note, diff and preview, approves, and the main console changes', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const operator = await ctx.newPage();
    await login(operator, net.main.url, '/admin', 'operator');
    await operator.goto(`${net.main.url}/admin/sync`);
    const row = operator.locator('tr[data-partner="south"]');
    assert.match(await row.locator('td.staged').innerText(), /release 2\s+waiting approval/);
    assert.match(await row.locator('td.serving').innerText(), /release 1/);

    const manager = await ctx.newPage();
    await login(manager, net.partners.south!.url, '/manage', 'manager');
    await manager.click('nav.console-nav summary:text-is("Network")');
    await manager.click('nav.console-nav a:text-is("Tie-up releases")');
    const card = manager.locator('section.pending-card[data-release="2"]');
    await card.waitFor();
    assert.match(await card.innerText(), /New opening hours/);
    assert.match(await card.locator('pre.diff').innerText(), /\+Marker: OPENING-HOURS-CHANGED/);
    await manager.screenshot({ path: join(SCREENSHOT_DIR, 'partner-pending-card.png'), fullPage: true });

    // The preview opens in place; "Back to releases" comes back to the card.
    await card.locator('a', { hasText: 'Open a preview' }).click();
    await manager.waitForURL(`${net.partners.south!.url}/manage/preview/2/`);
    await manager.goto(`${net.partners.south!.url}/manage/preview/2/about`);
    assert.match(await manager.content(), /OPENING-HOURS-CHANGED/);
    assert.match(await manager.content(), /Preview of release 2/);
    await manager.locator('a', { hasText: 'Back to releases' }).click();
    await manager.waitForURL(`${net.partners.south!.url}/manage/sync`);
    await card.waitFor();

    await card.locator('button.approve').click();
    await manager.waitForURL(/done=/);
    assert.match(await manager.locator('p.ok').innerText(), /Release 2 approved and served/);
    assert.equal(await manager.locator('section.pending-card').count(), 0);

    await operator.reload();
    assert.match(await operator.locator('tr[data-partner="south"] td.serving').innerText(), /release 2\s+up to date/);
    assert.match(await operator.locator('tr[data-partner="south"] td.staged').innerText(), /–/);
    await operator.screenshot({ path: join(SCREENSHOT_DIR, 'main-sync-status.png'), fullPage: true });

    const shopper = await ctx.newPage();
    await shopper.goto(`${net.partners.south!.url}/about`);
    assert.match(await shopper.content(), /OPENING-HOURS-CHANGED/);
    await ctx.close();
  });
});
