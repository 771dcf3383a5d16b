/**
 * The web app's add-a-device steps, a revoked member's next actions, and every screen under axe, in
 * Debian's Chromium at 390×844 and on a desktop: each share key shows its IPP URL (the one the API lists),
 * a copy button that copies it, the OS steps with that URL filled in, and the AirPrint profile the IPP
 * door serves; after the owner revokes a key, the member's refresh and print are refused in words with a
 * way to sign out; the screens (signed out, owner with jobs, the steps, member, revoked) pass axe-core.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrinterControl, Terminal } from './support/api.ts';
import { launchChromium } from './support/browser.ts';
import { makeJpeg, registerByPin, waitForPrinted } from './support/flows.ts';
import { type CloudProc, type PrinterProc, startCloud, startPrinter, tempDir } from './support/processes.ts';

const DEVICES = {
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
  desktop: { viewport: { width: 1280, height: 900 } },
};
type Device = keyof typeof DEVICES;
const PRINTER_ID = 'Home';

interface ShareKeyView {
  keyId: string;
  label?: string;
  ippUri?: string;
}

describe('the web app: adding the printer to a device, revocation, accessibility', () => {
  let cloud: CloudProc;
  let printer: PrinterProc;
  let owner: Terminal;
  let browser: Browser;
  let shots: string;
  let photo: string;

  beforeAll(async () => {
    cloud = await startCloud();
    printer = await startPrinter({ server: cloud.local.apiUrl, printerId: PRINTER_ID });
    const control = new PrinterControl(printer.uiUrl);
    owner = new Terminal(cloud.local.apiUrl, cloud.local.ownerKey);
    await registerByPin(cloud, printer);
    await control.service(true);
    await owner.waitForAccepting(PRINTER_ID, true);
    await control.supplies({ toner: 12, paper: 180 });
    browser = await launchChromium();
    shots = process.env.CLOUDPRINT_SCREENSHOTS ?? (await tempDir('shots'));
    photo = join(shots, 'garden.jpg');
    await sharp(await makeJpeg(800, 600)).toFile(photo);
  });

  afterAll(async () => {
    await browser?.close();
    await printer?.stop();
    await cloud?.stop();
  });

  async function open(device: Device, path = '/'): Promise<[BrowserContext, Page]> {
    const context = await browser.newContext(DEVICES[device]);
    const page = await context.newPage();
    await page.goto(`${cloud.local.apiUrl}${path}`);
    await page.locator('body[data-ready="true"]').waitFor();
    return [context, page];
  }

  async function signIn(page: Page, key: string): Promise<void> {
    await page.getByLabel('Owner key or share key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Print', exact: true }).waitFor();
  }

  async function axeViolations(page: Page): Promise<string[]> {
    const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    await page.evaluate(source);
    return page.evaluate<string[]>(
      'axe.run().then((r) => r.violations.map((v) => v.id + ": " + v.help + " (" + v.nodes.map((n) => n.target.join(" ")).join(", ") + ")"))',
    );
  }

  async function shareKeys(): Promise<ShareKeyView[]> {
    const answer = await owner.request<{ shareKeys: ShareKeyView[] }>(
      'GET',
      `/v1/printers/${PRINTER_ID}/share-keys`,
    );
    return answer.body.shareKeys;
  }

  for (const device of ['phone', 'desktop'] as const) {
    it(`${device}: a key for a device shows its IPP URL, the steps per OS, a working copy button and the AirPrint profile`, async () => {
      // Prepare
      const [context, page] = await open(device);
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: cloud.local.apiUrl });
      await signIn(page, cloud.local.ownerKey);
      const card = page.getByRole('article', { name: /Home/ });
      const label = `Laptop ${device}`;

      // Act
      await card.getByLabel('Add to a computer or phone (its name)').fill(label);
      await card.getByRole('button', { name: 'Show how' }).click();
      const steps = page.locator('details.device[open]');
      await steps.waitFor();

      // Assess: the URL is the one the API lists for that key, in every step that needs it
      const ippUri = (await shareKeys()).find((k) => k.label === label)?.ippUri ?? '';
      expect(ippUri).toMatch(/^ipp:\/\/127\.0\.0\.1:\d+\/ipp\/Home\/sk_[\w-]+\/[\w-]{43}$/);
      const http = ippUri.replace(/^ipp:/, 'http:');
      const { host, pathname } = new URL(http);
      expect(await steps.getByLabel('Printer URL (IPP)').inputValue()).toBe(ippUri);
      expect(await steps.locator('pre').textContent()).toBe(
        `lpadmin -p cloud -E -v '${ippUri}' -m everywhere -o print-color-mode-default=color`,
      );
      const text = (await steps.textContent()) ?? '';
      expect(text).toContain(`Address: ${host}`);
      expect(text).toContain(`Queue: ${pathname}`);
      expect(text).toContain(`“Select a shared printer by name”, and enter ${http}.`);
      expect(text).toMatch(/only on Wi-Fi/);
      await steps.getByRole('img', { name: new RegExp(`add-printer page of Home for ${label}`) }).waitFor();
      // the http form is the door's own add-printer page, reachable with the capability alone
      const doorPage = await fetch(http);
      expect(doorPage.status).toBe(200);
      expect(await doorPage.text()).toContain('<h1>Add printer Home</h1>');

      // Act: copy
      await steps.getByRole('button', { name: 'Copy' }).click();
      await steps.getByText('Copied.').waitFor();

      // Assess
      expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(ippUri);

      // Act: the AirPrint profile
      const link = steps.getByRole('link', { name: 'Download the AirPrint profile for Home' });
      expect(await link.getAttribute('href')).toBe(`${http}?profile=airprint`);
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      const profile = await readFile((await download.path()) ?? '', 'utf8');

      // Assess: an AirPrint payload for this printer's door
      expect(download.suggestedFilename()).toMatch(/\.mobileconfig$/);
      expect(profile).toContain('<string>com.apple.airprint</string>');
      expect(profile).toContain(`<key>IPAddress</key><string>127.0.0.1</string>`);
      expect(profile).toContain(`<key>ResourcePath</key><string>${pathname.slice(1)}</string>`);
      expect(profile).toContain(`<key>Port</key><integer>${new URL(http).port}</integer>`);
      expect(profile).toContain('<key>ForceTLS</key><false/>');

      // the steps stay inside the printer's card (a long URL once pushed them past its edge at 390 px)
      const inner = await steps.boundingBox();
      const outer = await card.boundingBox();
      expect((inner?.x ?? 0) + (inner?.width ?? Number.POSITIVE_INFINITY)).toBeLessThanOrEqual(
        (outer?.x ?? 0) + (outer?.width ?? 0),
      );
      await page.screenshot({ path: join(shots, `${device}-add-device.png`), fullPage: true });
      expect(await axeViolations(page)).toEqual([]);
      await context.close();
    });
  }

  it('every screen passes axe at phone and desktop size: signed out, the owner with jobs, a member', async () => {
    // Prepare: a printed job for the job list
    const submitted = await owner.submit(PRINTER_ID, await makeJpeg(300, 200), 'image/jpeg', 'title=Garden');
    await waitForPrinted(printer, submitted.body.jobId);
    const member = await owner.json<{ shareKey: string; ippUri: string }>(
      'POST',
      `/v1/printers/${PRINTER_ID}/share-keys`,
      {
        label: 'Aunt',
      },
    );
    const found: Record<string, string[]> = {};

    for (const device of ['phone', 'desktop'] as const) {
      // Act: signed out
      const [context, page] = await open(device);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.screenshot({ path: join(shots, `${device}-signed-out.png`), fullPage: true });
      found[`${device} signed out`] = await axeViolations(page);

      // Act: the owner, with the job list and the printer card
      await signIn(page, cloud.local.ownerKey);
      await page
        .getByRole('list')
        .getByText(/Printed · 1 page · owner/)
        .first()
        .waitFor();
      await page.screenshot({ path: join(shots, `${device}-owner.png`), fullPage: true });
      found[`${device} owner`] = await axeViolations(page);

      // Act: a member (share key), their printer and their (empty) job list
      await page.getByRole('button', { name: 'Sign out' }).click();
      // the owner's session leaves nothing behind for the next person: not the jobs, not the printer cards
      expect(await page.locator('#jobs-list li').count()).toBe(0);
      expect(await page.locator('#printers-list article').count()).toBe(0);
      await signIn(page, member.body.shareKey);
      await page.getByRole('heading', { name: 'Your jobs' }).waitFor();
      await page.getByText('No jobs yet.').waitFor();
      // their own key's IPP URL, to add the printer to their own computer
      const own = page.getByRole('region', { name: 'Print from a computer or phone' });
      await own.getByText('Add Home to a computer or phone').click();
      expect(await own.getByLabel('Printer URL (IPP)').inputValue()).toBe(member.body.ippUri);
      await page.screenshot({ path: join(shots, `${device}-member.png`), fullPage: true });
      found[`${device} member`] = await axeViolations(page);
      await context.close();
    }

    // Assess
    expect(found).toEqual({
      'phone signed out': [],
      'phone owner': [],
      'phone member': [],
      'desktop signed out': [],
      'desktop owner': [],
      'desktop member': [],
    });
  });

  it('after the owner revokes a key, the member’s next refresh or print is refused in words, with a way to sign out', async () => {
    // Prepare: an invite, opened on a phone; a second tab of the same member
    const created = await owner.json<{ keyId: string; inviteUrl: string }>(
      'POST',
      `/v1/printers/${PRINTER_ID}/share-keys`,
      { label: 'Grandpa' },
    );
    const context = await browser.newContext(DEVICES.phone);
    const page = await context.newPage();
    await page.goto(created.body.inviteUrl);
    await page.getByText('Signed in with an invite').waitFor();
    await page.getByRole('heading', { name: 'Your jobs' }).waitFor();
    const tab = await context.newPage();
    await tab.goto(cloud.local.apiUrl);
    await tab.getByText('Signed in with an invite').waitFor();
    // both tabs done signing in (their first reads made) before the key is revoked
    await tab.locator('body[data-ready="true"]').waitFor();
    await page.locator('body[data-ready="true"]').waitFor();
    const uploads: Request[] = [];
    tab.on('request', (r) => {
      if (r.method() === 'PUT' || (r.method() === 'POST' && /\/(jobs|uploads)(\?|$)/.test(r.url())))
        uploads.push(r);
    });

    // Act: revoked; in one tab the member refreshes the jobs
    expect(
      (await owner.request('DELETE', `/v1/printers/${PRINTER_ID}/share-keys/${created.body.keyId}`)).status,
    ).toBe(204);
    await page.getByRole('button', { name: 'Refresh' }).click();

    // Assess: said in words, with a Sign out at hand; nothing left to press Print for
    const banner = page.getByRole('alert');
    await banner.getByText(/Your invite no longer works/).waitFor();
    expect(await banner.textContent()).toMatch(
      /owner has removed your access.*Ask the owner for a new invite/,
    );
    await banner.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(await page.getByRole('button', { name: 'Print', exact: true }).isDisabled()).toBe(true);
    expect(await page.locator('#print-printer-state').textContent()).toBe('This key may no longer print.');
    await page.screenshot({ path: join(shots, 'phone-member-revoked.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    // Act: in the other tab, they print
    await tab.getByLabel('Photos or PDFs').setInputFiles(photo);
    await tab.getByRole('button', { name: 'Print', exact: true }).click();
    const status = tab.locator('#print-status');
    await status.getByText(/no longer works/).waitFor();

    // Assess: words, not a raw answer; nothing uploaded; the same banner
    expect(await status.textContent()).not.toMatch(/[{}]|unauthorized|Bearer/);
    expect(uploads).toEqual([]);
    await tab
      .getByRole('alert')
      .getByText(/Your invite no longer works/)
      .waitFor();
    expect(await tab.getByRole('button', { name: 'Print', exact: true }).isDisabled()).toBe(true);

    // Act: sign out from the banner
    await tab.getByRole('alert').getByRole('button', { name: 'Sign out' }).click();

    // Assess
    await tab.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await tab.getByRole('alert').count()).toBe(0);
    expect(await tab.evaluate<string | null>(`localStorage.getItem('cloudprint.key')`)).toBeNull();

    // Act: the old invite link again, in a new tab
    const again = await context.newPage();
    await again.goto(created.body.inviteUrl);
    await again.locator('body[data-ready="true"]').waitFor();

    // Assess: refused at the door, in words
    const message = again.locator('#signin-message');
    await message.getByText(/no longer works/).waitFor();
    expect(await message.textContent()).not.toMatch(/[{}]/);
    await again.screenshot({ path: join(shots, 'phone-invite-revoked.png'), fullPage: true });
    expect(await axeViolations(again)).toEqual([]);
    await context.close();
  });
});
