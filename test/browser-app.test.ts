/**
 * The web app as people use it, in Debian's Chromium at phone size (390×844) and on a desktop: the owner
 * signs in and prints with visible upload progress, a 12 MB photo goes through the upload path, a printer
 * that is not accepting is reported before anything is uploaded (patent SC3), an invite link signs a family
 * member in until the owner revokes it, and the share sheet's POST leads to a printed job. The local cloud
 * and printer-client run as separate processes, as in the other end-to-end tests.
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
import {
  type CloudProc,
  type PrinterProc,
  REPO,
  startCloud,
  startPrinter,
  tempDir,
} from './support/processes.ts';

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 900 } };
const PRINTER_ID = 'Home';

describe('the web app in Chromium', () => {
  let cloud: CloudProc;
  let printer: PrinterProc;
  let control: PrinterControl;
  let owner: Terminal;
  let browser: Browser;
  let shots: string;
  let photo: string;

  beforeAll(async () => {
    cloud = await startCloud();
    printer = await startPrinter({ server: cloud.local.apiUrl, printerId: PRINTER_ID });
    control = new PrinterControl(printer.uiUrl);
    owner = new Terminal(cloud.local.apiUrl, cloud.local.ownerKey);
    await registerByPin(cloud, printer);
    await control.service(true);
    await owner.waitForAccepting(PRINTER_ID, true);
    await control.supplies({ toner: 64, paper: 180 });
    browser = await launchChromium();
    shots = process.env.CLOUDPRINT_SCREENSHOTS ?? (await tempDir('shots'));
    photo = join(shots, 'holiday.jpg');
    await sharp(await makeJpeg(1600, 1200)).toFile(photo);
  });

  afterAll(async () => {
    await browser?.close();
    await printer?.stop();
    await cloud?.stop();
  });

  async function open(device: typeof PHONE | typeof DESKTOP, path = '/'): Promise<[BrowserContext, Page]> {
    const context = await browser.newContext(device);
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

  /** The page's requests that carry a document or ask for an upload ticket. */
  function uploadsSeen(page: Page): Request[] {
    const seen: Request[] = [];
    page.on('request', (request) => {
      const url = request.url();
      if (/\/uploads$/.test(url) || (request.method() === 'POST' && /\/jobs(\?|$)/.test(url)))
        seen.push(request);
      if (request.method() === 'PUT') seen.push(request);
    });
    return seen;
  }

  /** Lets upload progress be seen on loopback: Chromium's own throttling, uploads at `bytesPerSecond`. */
  async function slowUploads(context: BrowserContext, page: Page, bytesPerSecond: number): Promise<void> {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: bytesPerSecond,
    });
  }

  /** Every value the upload progress bar took (browser code as strings: this project's TS has no DOM types). */
  async function recordProgress(page: Page): Promise<() => Promise<number[]>> {
    await page.evaluate(`{
      const bar = document.getElementById('upload-progress');
      window.progressSeen = [];
      new MutationObserver(() => window.progressSeen.push(bar.value)).observe(bar, { attributes: true });
    }`);
    return () => page.evaluate<number[]>('window.progressSeen');
  }

  /** axe-core's findings on the page (injected the way its own integrations do, offline). */
  async function axeViolations(page: Page): Promise<string[]> {
    const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    await page.evaluate(source);
    return page.evaluate<string[]>(
      'axe.run().then((r) => r.violations.map((v) => v.id + ": " + v.help + " (" + v.nodes.map((n) => n.target.join(" ")).join(", ") + ")"))',
    );
  }

  it('serves the app at the root with its manifest, icons and service worker, no JSON 404', async () => {
    // Act
    const root = await fetch(`${cloud.local.apiUrl}/`);
    const manifest = (await (await fetch(`${cloud.local.apiUrl}/manifest.webmanifest`)).json()) as {
      share_target: { method: string; enctype: string; params: { files: Array<{ accept: string[] }> } };
      icons: Array<{ src: string }>;
    };
    const icon = await fetch(`${cloud.local.apiUrl}/${manifest.icons[0]?.src}`);
    const worker = await fetch(`${cloud.local.apiUrl}/sw.js`);

    // Assess
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toContain('text/html');
    expect(root.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await root.text()).toContain('<title>cloudprint</title>');
    expect(manifest.share_target).toMatchObject({ method: 'POST', enctype: 'multipart/form-data' });
    expect(manifest.share_target.params.files[0]?.accept).toEqual(['image/*', 'application/pdf']);
    expect(icon.headers.get('content-type')).toBe('image/png');
    expect((await sharp(Buffer.from(await icon.arrayBuffer())).metadata()).width).toBe(192);
    expect(worker.headers.get('content-type')).toContain('javascript');
  });

  it('the owner signs in on a phone, sees the printer, prints a photo with upload progress and sees it printed', async () => {
    // Prepare
    const [context, page] = await open(PHONE);
    await signIn(page, cloud.local.ownerKey);
    const card = page.getByRole('article', { name: /Home/ });
    await card.getByText('accepting jobs', { exact: true }).waitFor();
    await slowUploads(context, page, 400_000);
    const progress = await recordProgress(page);

    // Act
    await page.getByLabel('Photos or PDFs').setInputFiles(photo);
    await page.getByLabel('Copies').fill('2');
    await page.getByRole('button', { name: 'Print', exact: true }).click();
    await page.getByText(/Uploading holiday\.jpg/).waitFor();
    await page.screenshot({ path: join(shots, 'phone-uploading.png') });
    await page.getByText(/Printed: holiday\.jpg/).waitFor({ timeout: 30_000 });

    // Assess
    const values = await progress();
    expect(values.some((v) => v > 0 && v < 100)).toBe(true);
    expect(values.at(-1)).toBe(100);
    const jobs = (await owner.jobs(PRINTER_ID)).body.jobs as Array<{
      jobId: string;
      state: string;
      copies?: number;
    }>;
    const job = jobs.at(-1);
    expect(job?.state).toBe('completed');
    expect(job?.copies).toBe(2);
    expect((await waitForPrinted(printer, job?.jobId ?? '')).pdf.getPageCount()).toBe(1);
    await page
      .getByRole('list')
      .getByText(/Printed · 1 page · owner/)
      .first()
      .waitFor();
    await page.screenshot({ path: join(shots, 'phone-printed.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });

  it('prints a 12 MB photo through a presigned upload, never as a request body', async () => {
    // Prepare
    const big = join(shots, 'big.jpg');
    await sharp(await makeJpeg(4600, 3400))
      .jpeg({ quality: 100 })
      .toFile(big);
    const size = (await readFile(big)).byteLength;
    expect(size).toBeGreaterThan(12 * 1024 * 1024);
    const [context, page] = await open(DESKTOP);
    await signIn(page, cloud.local.ownerKey);
    const requests = uploadsSeen(page);

    // Act
    await page.getByLabel('Photos or PDFs').setInputFiles(big);
    await page.getByRole('button', { name: 'Print', exact: true }).click();
    await page
      .getByText(/Printed: big\.jpg/)
      .waitFor({ timeout: 90_000 })
      .catch(async (error: Error) => {
        await page.screenshot({ path: join(shots, 'desktop-big-failed.png'), fullPage: true });
        throw new Error(`${error.message}\nstatus: ${await page.locator('#print-status').textContent()}`);
      });

    // Assess
    const kinds = requests.map(
      (r) => `${r.method()} ${new URL(r.url()).pathname.replace(/.*\/v1\//, '/v1/')}`,
    );
    expect(kinds[0]).toBe(`POST /v1/printers/${PRINTER_ID}/uploads`);
    expect(kinds[1]).toMatch(/^PUT /);
    expect(kinds[2]).toBe(`POST /v1/printers/${PRINTER_ID}/jobs`);
    expect(requests[2]?.headers()['content-type']).toBe('application/json');
    expect(requests[1]?.postDataBuffer()?.byteLength ?? size).toBe(size);
    await page.screenshot({ path: join(shots, 'desktop-printed.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  }, 150_000);

  it('prints an iPhone HEIC photo, decoded by the cloud', async () => {
    // Prepare
    const heic = join(REPO, 'test', 'fixtures', 'heic', 'red-left-400x300.heic');
    const [context, page] = await open(DESKTOP);
    await signIn(page, cloud.local.ownerKey);

    // Act
    await page.getByLabel('Photos or PDFs').setInputFiles(heic);
    await page.getByRole('button', { name: 'Print', exact: true }).click();
    await page.getByText(/Printed: red-left-400x300\.heic/).waitFor({ timeout: 30_000 });

    // Assess
    const job = (await owner.jobs(PRINTER_ID)).body.jobs.at(-1) as { jobId: string; sourceFormat?: string };
    expect(job.sourceFormat).toBe('image/heic');
    expect((await waitForPrinted(printer, job.jobId)).pdf.getPageCount()).toBe(1);
    await context.close();
  });

  /** The Print button's state and its accessible description (the text of what aria-describedby names). */
  async function printButton(page: Page): Promise<{ disabled: boolean; description: string }> {
    const button = page.getByRole('button', { name: 'Print', exact: true });
    const describedBy = await button.getAttribute('aria-describedby');
    const description = describedBy ? ((await page.locator(`#${describedBy}`).textContent()) ?? '') : '';
    return { disabled: await button.isDisabled(), description };
  }

  it('a printer known not to accept: Print is unavailable, the reason said once, nothing uploaded (SC3); it comes back', async () => {
    // Prepare: the page's periodic refresh runs only when the test moves the page's clock
    await control.service(false, 'now');
    await owner.waitForAccepting(PRINTER_ID, false);
    const screens: Array<[BrowserContext, Page, string]> = [];
    for (const [device, name] of [
      [PHONE, 'phone'],
      [DESKTOP, 'desktop'],
    ] as const) {
      const context = await browser.newContext(device);
      await context.clock.install();
      const page = await context.newPage();
      await page.goto(`${cloud.local.apiUrl}/`);
      await page.locator('body[data-ready="true"]').waitFor();
      await page.clock.pauseAt(Date.now() + 1000);
      screens.push([context, page, name]);
    }

    for (const [, page, name] of screens) {
      // Act
      const requests = uploadsSeen(page);
      await signIn(page, cloud.local.ownerKey);
      await page.getByLabel('Photos or PDFs').setInputFiles(photo);

      // Assess: unavailable, with the reason as its description, said once in the print section
      const button = await printButton(page);
      expect(button.disabled).toBe(true);
      expect(button.description).toMatch(
        /^Home is (online|offline) and not accepting jobs: the printer .+\.$/,
      );
      expect(
        await page
          .locator('#print')
          .getByText(/not accepting jobs/)
          .count(),
      ).toBe(1);
      expect(await page.locator('#print-status').textContent()).toBe('');
      expect(requests).toEqual([]);
      await page.screenshot({ path: join(shots, `${name}-not-accepting.png`), fullPage: true });
      await page.clock.resume(); // axe waits on timers
      expect(await axeViolations(page)).toEqual([]);
    }

    // Act: the printer accepts again; the next refresh finds it
    await control.service(true);
    await owner.waitForAccepting(PRINTER_ID, true);
    for (const [context, page] of screens) {
      await page.clock.fastForward(10_000);
      await page.getByText('Home is online and accepting jobs.').waitFor();

      // Assess
      expect(await printButton(page)).toEqual({ disabled: false, description: '' });
      await context.close();
    }
  });

  it('a printer that stops accepting after the page looked: the press asks first and uploads nothing (SC3)', async () => {
    // Prepare: the page reads an accepting printer, then it stops before the next refresh
    const context = await browser.newContext(PHONE);
    await context.clock.install();
    const page = await context.newPage();
    await page.goto(`${cloud.local.apiUrl}/`);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.clock.pauseAt(Date.now() + 1000);
    await signIn(page, cloud.local.ownerKey);
    await page.getByText('Home is online and accepting jobs.').waitFor();
    const requests = uploadsSeen(page);
    await control.service(false, 'now');
    await owner.waitForAccepting(PRINTER_ID, false);

    // Act
    await page.getByLabel('Photos or PDFs').setInputFiles(photo);
    await page.getByRole('button', { name: 'Print', exact: true }).click();
    const status = page.locator('#print-status');
    await status.getByText(/Nothing was uploaded/).waitFor();

    // Assess: the reason under the printer (once), the button unavailable, no upload
    expect(await status.textContent()).toBe(
      'Nothing was uploaded: Home has stopped accepting jobs since the page last looked (the reason is under the printer).',
    );
    const button = await printButton(page);
    expect(button.disabled).toBe(true);
    expect(button.description).toMatch(/not accepting jobs: the printer .+\.$/);
    expect(
      await page
        .locator('#print')
        .getByText(/: the printer /)
        .count(),
    ).toBe(1);
    expect(requests).toEqual([]);
    await page
      .getByRole('article', { name: /Home/ })
      .getByText('not accepting jobs', { exact: true })
      .waitFor();
    await page.screenshot({ path: join(shots, 'phone-stopped-accepting.png'), fullPage: true });
    await context.close();
    await control.service(true);
    await owner.waitForAccepting(PRINTER_ID, true);
  });

  it('an invite signs a family member in; they print; once revoked, their next print is refused clearly', async () => {
    // Prepare: the owner invites Grandma from the desktop
    const [ownerContext, ownerPage] = await open(DESKTOP);
    await signIn(ownerPage, cloud.local.ownerKey);
    const card = ownerPage.getByRole('article', { name: /Home/ });
    await card.getByLabel('Invite someone (their name)').fill('Grandma');
    await card.getByRole('button', { name: 'Create invite' }).click();
    const link = ownerPage.locator('a.invite-link');
    await link.waitFor();
    const inviteUrl = (await link.getAttribute('href')) ?? '';
    expect(inviteUrl).toMatch(/\/#invite=[A-Za-z0-9_-]{43}$/);
    await ownerPage.getByRole('img', { name: /QR code of the invite for Grandma/ }).waitFor();
    await ownerPage.screenshot({ path: join(shots, 'desktop-invite.png'), fullPage: true });
    expect(await axeViolations(ownerPage)).toEqual([]);
    const key = inviteUrl.split('#invite=')[1] ?? '';

    // Act: Grandma opens the link on her phone and prints
    const family = await browser.newContext(PHONE);
    const page = await family.newPage();
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.goto(inviteUrl);
    await page.getByText('Signed in with an invite').waitFor();
    await page.getByLabel('Photos or PDFs').setInputFiles(photo);
    await page.getByRole('button', { name: 'Print', exact: true }).click();
    await page.getByText(/Printed: holiday\.jpg/).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(shots, 'phone-family.png'), fullPage: true });

    // Assess: signed in, printed, the key never in a URL a server saw, the fragment gone from the address bar
    expect(urls.filter((u) => u.includes(key))).toEqual([]);
    expect(page.url()).not.toContain(key);
    expect(await page.locator('#printers').isHidden()).toBe(true);
    await ownerPage.reload();
    await ownerPage
      .getByRole('list')
      .getByText(/Printed · 1 page · Grandma/)
      .first()
      .waitFor();

    // Act: the owner revokes Grandma's key; she tries again
    await ownerPage.getByRole('button', { name: 'Revoke Grandma' }).click();
    await ownerPage.getByText('Grandma may no longer print to Home.').waitFor();
    await ownerPage.reload();
    // her job stays hers in the owner's list, though the key is gone
    await ownerPage
      .getByRole('list')
      .getByText(/Printed · 1 page · Grandma/)
      .first()
      .waitFor();
    await page.getByLabel('Photos or PDFs').setInputFiles(photo);
    await page.getByRole('button', { name: 'Print', exact: true }).click();

    // Assess
    const status = page.locator('#print-status');
    await status.getByText(/no longer works/).waitFor();
    expect(await status.textContent()).toMatch(/owner may have removed your access/);
    await page.screenshot({ path: join(shots, 'phone-revoked.png'), fullPage: true });
    await family.close();
    await ownerContext.close();
  });

  it('the owner adds a printer by its PIN, is told to turn its cloud service on, and sets its offline grace', async () => {
    // Prepare: a second printer showing its PIN
    const office = await startPrinter({ server: cloud.local.apiUrl, printerId: 'Office' });
    try {
      const shown = await new PrinterControl(office.uiUrl).waitForState(
        (st) => st.registration !== null,
        'a PIN',
      );
      const [context, page] = await open(PHONE);
      await page.getByLabel('Owner key or share key').fill(cloud.local.ownerKey);
      await page.getByRole('button', { name: 'Sign in' }).click();

      // Act
      await page.getByLabel('PIN shown by the printer').fill(shown.registration?.pin ?? '');
      await page.getByRole('button', { name: 'Add printer' }).click();
      await page
        .getByText(/Printer Office is yours\. Next, at the printer: turn its cloud service on/)
        .waitFor();
      const card = page.getByRole('article', { name: /Office/ });
      await card.getByText('not accepting jobs', { exact: true }).waitFor();
      await card.getByLabel(/Stop accepting after offline for/).fill('2');
      await card.getByRole('button', { name: 'Save' }).click();

      // Assess
      await page
        .getByRole('article', { name: /Office/ })
        .getByText(/Turn the cloud service on at the printer/)
        .waitFor();
      const view = await owner.printer('Office');
      expect(view?.acceptingJobs).toBe(false);
      await expect
        .poll(async () => (await owner.request('GET', '/v1/printers/Office')).body.offlineGraceHours)
        .toBe(2);
      await page.screenshot({ path: join(shots, 'phone-claimed.png'), fullPage: true });
      await page.clock.resume(); // axe waits on timers
      expect(await axeViolations(page)).toEqual([]);
      await context.close();
    } finally {
      await office.stop();
    }
  });

  it('a photo shared to the app (share_target POST) is printed', async () => {
    // Prepare: the app is open once, signed in, its service worker in control
    const [context, page] = await open(PHONE);
    await signIn(page, cloud.local.ownerKey);
    await page.waitForFunction('navigator.serviceWorker.controller !== null', undefined, { timeout: 10_000 });

    // Act: what Android's share sheet sends, a multipart POST to the share target
    await page.evaluate(`{
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = 'share';
      form.enctype = 'multipart/form-data';
      form.id = 'share-sheet';
      const input = document.createElement('input');
      input.type = 'file';
      input.name = 'files';
      input.setAttribute('aria-label', 'shared files');
      form.append(input);
      document.body.append(form);
    }`);
    await page.locator('#share-sheet input').setInputFiles(photo);
    await page.evaluate(`document.getElementById('share-sheet').submit()`);
    await page.getByText(/Shared with cloudprint: holiday\.jpg/).waitFor();
    await page.locator('body[data-ready="true"]').waitFor();
    await page.screenshot({ path: join(shots, 'phone-shared.png'), fullPage: true });
    await page.getByRole('button', { name: 'Print', exact: true }).click();

    // Assess
    await page.getByText(/Printed: holiday\.jpg/).waitFor({ timeout: 30_000 });
    const jobs = (await owner.jobs(PRINTER_ID)).body.jobs;
    const last = jobs.at(-1);
    expect(last?.state).toBe('completed');
    expect((await waitForPrinted(printer, last?.jobId ?? '')).pdf.getPageCount()).toBe(1);
    await context.close();
  });
});
