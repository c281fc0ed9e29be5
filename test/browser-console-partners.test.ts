import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import type { RunningMain } from '../main-site/server.js';
import type { RunningPartner } from '../partner-site/server.js';
import { launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js';
import { TEST_PASSWORD, publicKeysOf, startSite, tempDir } from './helpers/network.js';

describe('browser: an operator enrols a partner in the console, edits a contract slice, and a bad value is refused beside its field', function () {
  this.timeout(90000);
  const dir = tempDir();
  let main: RunningMain;
  let north: RunningPartner;
  let browser: Browser;

  before(async () => {
    main = await startSite('main', 'main', dir);
    north = await startSite('partner', 'north', dir);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await Promise.all([main, north].map((s) => s?.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** axe-core's serious or critical findings on the page as it stands (the forms in their refused state included). */
  const axe = async (page: Page): Promise<string[]> => {
    const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${page.url()}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  };

  it('enrols north (confirming the key), sets its sync terms, and sees a bad schedule refused inline with nothing changed', async () => {
    const thumbprint = (await publicKeysOf(dir, 'north'))[0]!.thumbprint;
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await ctx.newPage();
    await page.goto(`${main.url}/admin/login`);
    await page.fill('input[name=username]', 'operator');
    await page.fill('input[name=password]', TEST_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${main.url}/admin/`);

    // The header is one row at 1280 px: capability pages sit in a few menus ("Partners" under "Network").
    const header = await page.locator('header.bar').boundingBox();
    assert.ok(header && header.height < 70, `the console header is one row at 1280 px (${header?.height} px high)`);
    await page.click('nav.console-nav summary:text-is("Network")');
    await page.click('nav.console-nav a:text-is("Partners")');
    await page.waitForURL(`${main.url}/admin/partners`);
    // The header says where you are: the page's link, and the menu it sits in, and nothing else.
    assert.deepEqual(await page.locator('nav.console-nav a[aria-current="page"]').allTextContents(), ['Partners']);
    assert.deepEqual(await page.locator('nav.console-nav details.nav-menu.current > summary').allInnerTexts(), ['Network']);
    await page.fill('#enrol-id', 'north');
    await page.fill('#enrol-name', 'North Market');
    await page.fill('#enrol-baseUrl', north.url);
    await page.fill('#enrol-thumbprint', thumbprint);
    await page.click('form.enrol button[type=submit]');

    // The confirmation page shows the key to pin; nothing is enrolled yet.
    await page.locator('.enrol-confirm').waitFor();
    const findings = await axe(page);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'console-partners-confirm.png'), fullPage: true });
    assert.equal(await page.locator('.key-to-pin code.thumbprint').innerText(), thumbprint);
    assert.equal(main.ctx.peers.get('north'), undefined);
    await page.click('button:text-is("Confirm and pin this key")');
    await page.waitForURL(/\/admin\/partners\/north\?done=enrolled/);
    assert.match(await page.locator('p.ok').innerText(), /Partner north enrolled/);
    assert.deepEqual(
      main.ctx.peers.keys('north').map((k) => k.thumbprint),
      [thumbprint],
    );

    const sync = page.locator('section[data-slice="sync"]');
    await sync.locator('select[name=partnershipType]').selectOption('template');
    await sync.locator('select[name=requiresApproval]').selectOption('true');
    await sync.locator('input[name=schedule]').fill('0 */5 * * * *');
    await sync.locator('button[type=submit]').click();
    await page.waitForURL(/done=contract_saved&slice=sync/);
    assert.match(await page.locator('p.ok').innerText(), /The sync terms are saved/);
    const saved = main.ctx.peers.get('north')!.contract.sync;
    assert.deepEqual(saved, { v: 1, partnershipType: 'template', requiresApproval: true, emergencyEdit: false, schedule: '0 */5 * * * *', freezeWindows: [] });

    await sync.locator('input[name=schedule]').fill('every day at noon');
    await sync.locator('button[type=submit]').click();
    const field = page.locator('section[data-slice="sync"] .field.invalid[data-field="schedule"]');
    await field.waitFor();
    assert.equal(await field.locator('.field-error').innerText(), 'Push schedule: must be a cron expression (five fields, or six with seconds)');
    // Fields carry their declared labels and hints, not the schema's keys.
    assert.equal(await field.locator('label').innerText(), 'Push schedule');
    assert.equal(await sync.locator('label[for="f-sync-requiresApproval"]').innerText(), 'Manager approves each release');
    assert.match(await field.locator('.hint').innerText(), /A cron expression in UTC/);
    const fee = page.locator('section[data-slice="shop"] .field[data-field="consult.handlingFee"]');
    assert.equal(await fee.locator('label').innerText(), 'Fee per consulted order');
    assert.equal(await field.locator('input').inputValue(), 'every day at noon', 'the value is kept as typed');
    assert.equal(await field.locator('input').getAttribute('aria-invalid'), 'true');
    assert.equal(await sync.locator('select[name=partnershipType]').inputValue(), 'template', 'the other fields keep what was posted');
    assert.deepEqual(main.ctx.peers.get('north')!.contract.sync, saved, 'nothing changed');
    findings.push(...(await axe(page)));
    await field.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'console-partners.png'), fullPage: true });

    // The list shows the new partner with its name and slices.
    await page.goto(`${main.url}/admin/partners?q=market`);
    const row = page.locator('tr[data-partner="north"]');
    assert.match(await row.innerText(), /north North Market[\s\S]*active[\s\S]*sync/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'console-partners-list.png'), fullPage: true });
    await page.goto(`${main.url}/admin/partners?status=gone`);
    assert.match(await page.locator('p.error[role=alert]').innerText(), /Bad filter: status must be "active" or "suspended"/);
    findings.push(...(await axe(page)));
    assert.deepEqual(findings, [], 'no serious or critical accessibility finding on the partners pages');
    // On a phone the menus wrap under the site name and still open onto their pages.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${main.url}/admin/partners`);
    await page.click('nav.console-nav summary:text-is("Network")');
    const link = page.locator('nav.console-nav a:text-is("Tie-up sync")');
    assert.ok(await link.isVisible());
    const box = await link.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, 'the open menu stays on the screen');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'console-nav-390.png') });
    await ctx.close();
  });
});
