/** Multi-step flows the end-to-end tests share: the PIN registration (patent T10–T62) and reading print output. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFDict, PDFDocument, PDFName } from 'pdf-lib';
import sharp from 'sharp';
import { PrinterControl, Terminal } from './api.ts';
import type { CloudProc, PrinterProc } from './processes.ts';
import { waitFor } from './wait.ts';

/** The owner reads the PIN off the printer's page and types it into the cloud's claim page. */
export async function registerByPin(cloud: CloudProc, printer: PrinterProc): Promise<void> {
  const control = new PrinterControl(printer.uiUrl);
  const owner = new Terminal(cloud.local.apiUrl, cloud.local.ownerKey);
  // An answer without the fields (a non-JSON or failed /api/state under load) is not "shown": wait on.
  const shown = await control.waitForState(
    (s) => Boolean(s.registration?.pin) || s.registered === true,
    'to show a PIN',
  );
  if (shown.registered) return;
  const registration = shown.registration;
  if (!registration) throw new Error('no registration shown');
  const registrationId = new URL(registration.claimUrl).pathname.split('/').pop();
  const claimed = await owner.claim(registrationId, registration.pin);
  if (claimed.status !== 200) throw new Error(`claim failed: ${claimed.status} ${claimed.text}`);
  await control.waitForState((s) => s.registered, 'to be registered', 30_000);
}

/** A photo-like JPEG: noise so it does not compress away, a red block to find on the page. */
export async function makeJpeg(width = 800, height = 600): Promise<Buffer> {
  const noise = await sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .png()
    .toBuffer();
  return sharp(noise)
    .composite([
      {
        input: {
          create: {
            width: Math.floor(width / 4),
            height: Math.floor(height / 4),
            channels: 3,
            background: 'red',
          },
        },
        top: 10,
        left: 10,
      },
    ])
    .jpeg({ quality: 90 })
    .toBuffer();
}

export interface PrintedJob {
  pdf: PDFDocument;
  meta: Record<string, unknown>;
}

export async function waitForPrinted(
  printer: PrinterProc,
  jobId: string,
  timeoutMs = 30_000,
): Promise<PrintedJob> {
  return waitFor(
    async () => {
      const files = await readdir(printer.outDir).catch(() => [] as string[]);
      if (!files.includes(`${jobId}.pdf`) || !files.includes(`${jobId}.json`)) return undefined;
      const meta = JSON.parse(await readFile(join(printer.outDir, `${jobId}.json`), 'utf8')) as Record<
        string,
        unknown
      >;
      const pdf = await PDFDocument.load(await readFile(join(printer.outDir, `${jobId}.pdf`)));
      return { pdf, meta };
    },
    { timeoutMs, what: () => `job ${jobId} printed to ${printer.outDir}\n${printer.output()}` },
  );
}

export async function printedJobIds(printer: PrinterProc): Promise<string[]> {
  const files = await readdir(printer.outDir).catch(() => [] as string[]);
  return files.filter((f) => f.endsWith('.pdf')).map((f) => f.slice(0, -'.pdf'.length));
}

/** Counts image XObjects on a page: the converted photo must be on it. */
export function imagesOnPage(pdf: PDFDocument, pageIndex: number): number {
  const page = pdf.getPage(pageIndex);
  const resources = page.node.Resources();
  const xobjects = resources?.lookupMaybe(PDFName.of('XObject'), PDFDict);
  if (!xobjects) return 0;
  let count = 0;
  for (const [, ref] of xobjects.entries()) {
    const object = pdf.context.lookup(ref);
    const dict = object && 'dict' in object ? (object as { dict: PDFDict }).dict : undefined;
    if (dict?.get(PDFName.of('Subtype')) === PDFName.of('Image')) count++;
  }
  return count;
}

/** A noisy JPEG (a photo that does not compress away) of `bytes` to `tolerance` more: resized until it is. */
export async function photoOf(bytes: number, tolerance = 0.03): Promise<Buffer> {
  let pixels = bytes / 1.3;
  for (let attempt = 0; attempt < 12; attempt += 1) {
    const width = Math.round(Math.sqrt(pixels * 1.4));
    const height = Math.round(pixels / width);
    const jpeg = await sharp({
      create: {
        width,
        height,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 60 },
      },
    })
      .jpeg({ quality: 100 })
      .toBuffer();
    if (jpeg.byteLength >= bytes && jpeg.byteLength <= bytes * (1 + tolerance)) return jpeg;
    pixels *= (bytes * (1 + tolerance / 2)) / jpeg.byteLength;
  }
  throw new Error(`could not make a ${bytes}-byte photo`);
}
