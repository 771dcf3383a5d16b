/**
 * The web app offers scan and fax for a multi-function device (the patent's variation 2), in Debian's
 * Chromium; the local cloud and printer-client (`--functions print,scan,fax`) run as separate processes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrinterControl, Terminal } from './support/api.ts';
import { launchChromium } from './support/browser.ts';
import { makeJpeg, registerByPin } from './support/flows.ts';
import { type CloudProc, type PrinterProc, startCloud, startPrinter, tempDir } from './support/processes.ts';

describe('the web app with a multi-function device', () => {
  let cloud: CloudProc;
  let printer: PrinterProc;
  let browser: Browser;
  let photo: string;

  beforeAll(async () => {
    cloud = await startCloud();
    printer = await startPrinter({
      server: cloud.local.apiUrl,
      printerId: 'Office',
      extraArgs: ['--functions', 'print,scan,fax'],
    });
    const owner = new Terminal(cloud.local.apiUrl, cloud.local.ownerKey);
    await registerByPin(cloud, printer);
    await new PrinterControl(printer.uiUrl).service(true);
    await owner.waitForPrinter(
      'Office',
      (p) => p.acceptingJobs && (p.functions ?? []).includes('fax'),
      'mfd',
    );
    browser = await launchChromium();
    photo = join(await tempDir('mfd-photo'), 'letter.jpg');
    await sharp(await makeJpeg(400, 300)).toFile(photo);
  });

  afterAll(async () => {
    await browser?.close();
    await printer?.stop();
    await cloud?.stop();
  });

  it('scans and offers the scan for download; faxes the chosen photo to a number', async () => {
    // Prepare
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${cloud.local.apiUrl}/`);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.getByLabel('Owner key or share key').fill(cloud.local.ownerKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Scan and fax' }).waitFor();

    // Act: scan
    await page.getByRole('button', { name: 'Scan', exact: true }).click();
    const link = page.getByRole('link', { name: 'Download the scan' });
    await link.waitFor({ timeout: 30_000 });
    const scan = await fetch((await link.getAttribute('href')) ?? 'http://127.0.0.1:9/');
    // fax
    await page.getByLabel('Photos or PDFs').setInputFiles(photo);
    await page.getByLabel(/Fax number/).fill('+81312345678');
    await page.getByRole('button', { name: 'Fax the chosen files' }).click();
    await page.getByText(/Faxed to \+81312345678: letter\.jpg/).waitFor({ timeout: 30_000 });
    await context.close();

    // Assess
    expect(scan.status).toBe(200);
    expect((await PDFDocument.load(new Uint8Array(await scan.arrayBuffer()))).getPageCount()).toBe(1);
    const jobs = (await new Terminal(cloud.local.apiUrl, cloud.local.ownerKey).jobs('Office')).body
      .jobs as Array<{ jobId: string; kind?: string }>;
    const faxJob = jobs.find((job) => job.kind === 'fax');
    const record = JSON.parse(await readFile(join(printer.outDir, `${faxJob?.jobId}.fax.json`), 'utf8'));
    expect(record.to).toBe('+81312345678');
  });
});
