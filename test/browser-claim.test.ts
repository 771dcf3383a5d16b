/**
 * As a person would (patent T30–T62): the owner opens the claim URL the printer shows, types the owner
 * key and the PIN into the cloud's page, and the printer gets its token. Then, with the service off,
 * a person printing from a browser sees a page that names the printer and says why (screen SC3).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrinterControl, Terminal } from './support/api.ts';
import { launchChromium } from './support/browser.ts';
import { type CloudProc, type PrinterProc, startCloud, startPrinter } from './support/processes.ts';

describe('the claim page and the refusal page in Chromium', () => {
  let cloud: CloudProc;
  let printer: PrinterProc;
  let browser: Browser;

  beforeAll(async () => {
    cloud = await startCloud();
    printer = await startPrinter({ server: cloud.local.apiUrl, printerId: 'B1' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await printer?.stop();
    await cloud?.stop();
  });

  it('claims the printer with the PIN typed into the page', async () => {
    // Prepare
    const control = new PrinterControl(printer.uiUrl);
    const shown = await control.waitForState((s) => s.registration !== null, 'to show a PIN');
    const registration = shown.registration;
    if (!registration) throw new Error('no registration');
    const page = await browser.newPage();

    // Act
    await page.goto(registration.claimUrl);
    await page.getByLabel(/owner key/i).fill(cloud.local.ownerKey);
    await page.getByLabel(/pin/i).fill(registration.pin.toLowerCase());
    await page.getByRole('button', { name: /claim/i }).click();

    // Assess
    await page.getByText(/B1/).first().waitFor();
    const registered = await control.waitForState((s) => s.registered, 'registered', 30_000);
    expect(registered.registered).toBe(true);
    await page.screenshot({ path: `${printer.stateDir}/claim.png` });
  });

  it('shows a person a clear page when the printer is not accepting (SC3)', async () => {
    // Prepare: the service was never turned on, so the printer is not accepting yet
    const owner = new Terminal(cloud.local.apiUrl, cloud.local.ownerKey);
    const view = await owner.printer('B1');
    expect(view?.acceptingJobs).toBe(false);
    const page = await browser.newPage();
    await page.setExtraHTTPHeaders({ authorization: `Bearer ${cloud.local.ownerKey}` });
    // same origin as the API, as the cloud's own print page would be
    await page.goto(`${cloud.local.apiUrl}/v1/config`);

    // Act: a browser form post of a document, as a terminal page would send it
    const answer = await page.evaluate(async (url) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg', accept: 'text/html' },
        body: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]),
      });
      return { status: res.status, html: await res.text() };
    }, '/v1/printers/B1/jobs');
    await page.setContent(answer.html);
    const status = answer.status;

    // Assess
    expect(status).toBe(503);
    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).toContain('B1');
    expect(text.toLowerCase()).toMatch(/not accepting|stopped accepting/);
  });
});
