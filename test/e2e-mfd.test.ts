/**
 * The multi-function device (the patent's variation 2), end to end: the local cloud and printer-client
 * as processes, scan and fax jobs through the same acceptance, journal and job machinery as print.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as cloudprint } from '../cli/main.ts';
import { PrinterControl, Terminal } from './support/api.ts';
import { imagesOnPage, makeJpeg, registerByPin } from './support/flows.ts';
import { type CloudProc, type PrinterProc, startCloud, startPrinter, tempDir } from './support/processes.ts';
import { countStorage } from './support/storage.ts';

let cloud: CloudProc;
let owner: Terminal;
let jpeg: Buffer;
const printers: PrinterProc[] = [];

beforeAll(async () => {
  cloud = await startCloud();
  owner = new Terminal(cloud.local.apiUrl, cloud.local.ownerKey);
  jpeg = await makeJpeg(320, 240);
});

afterAll(async () => {
  await Promise.all(printers.map((p) => p.stop()));
  await cloud?.stop();
});

async function onlineDevice(printerId: string, extraArgs: string[]) {
  const printer = await startPrinter({ server: cloud.local.apiUrl, printerId, extraArgs });
  printers.push(printer);
  await registerByPin(cloud, printer);
  const control = new PrinterControl(printer.uiUrl);
  await control.service(true);
  await owner.waitForAccepting(printerId, true);
  return { printer, control };
}

function scan(printerId: string, body: Record<string, unknown>) {
  return owner.json<{ jobId: string; state: string; error?: string; function?: string }>(
    'POST',
    `/v1/printers/${printerId}/scans`,
    body,
  );
}

function fax(printerId: string, to: string, document: Uint8Array) {
  return owner.request<{ jobId: string; state: string; error?: string }>(
    'POST',
    `/v1/printers/${printerId}/faxes?to=${encodeURIComponent(to)}`,
    { body: document, headers: { 'content-type': 'image/jpeg' } },
  );
}

describe('a multi-function device', () => {
  it('scans: accepted, executed, uploaded, downloaded by the terminal as a PDF; faxes: sent and recorded; both refused (503) once it stops accepting', async () => {
    // Prepare
    const originals = await tempDir('scan-source');
    await mkdir(originals, { recursive: true });
    await writeFile(join(originals, 'page-1.jpg'), jpeg);
    const { printer, control } = await onlineDevice('MFD-1', [
      '--functions',
      'print,scan,fax',
      '--scan-source',
      originals,
    ]);
    await owner.waitForPrinter(
      'MFD-1',
      (p) => JSON.stringify(p.functions) === '["print","scan","fax"]',
      'functions',
    );

    // Act: a scan
    const scanned = await scan('MFD-1', {
      resolution: 300,
      color: 'color',
      source: 'flatbed',
      format: 'pdf',
      title: 'Receipt',
    });
    expect(scanned.status).toBe(202);
    expect(scanned.body.state).toBe('pending');
    await owner.waitForJobState('MFD-1', scanned.body.jobId, 'completed', 30_000);
    const view = await owner.request<{ kind: string; documentUrl?: string }>(
      'GET',
      `/v1/printers/MFD-1/jobs/${scanned.body.jobId}`,
    );
    const download = await fetch(view.body.documentUrl ?? 'http://127.0.0.1:9/none');
    const pdf = await PDFDocument.load(new Uint8Array(await download.arrayBuffer()));

    // Assess: the scan is the folder's image on a PDF page
    expect(view.body.kind).toBe('scan');
    expect(download.status).toBe(200);
    expect(pdf.getPageCount()).toBe(1);
    expect(imagesOnPage(pdf, 0)).toBe(1);

    // Act: a fax, and a number that is not E.164
    const sent = await fax('MFD-1', '+81312345678', jpeg);
    const badNumber = await fax('MFD-1', '03-1234-5678', jpeg);
    expect(sent.status).toBe(202);
    await owner.waitForJobState('MFD-1', sent.body.jobId, 'completed', 30_000);
    const record = JSON.parse(await readFile(join(printer.outDir, `${sent.body.jobId}.fax.json`), 'utf8'));
    const faxedPdf = await PDFDocument.load(
      await readFile(join(printer.outDir, `${sent.body.jobId}.fax.pdf`)),
    );

    // Assess
    expect(badNumber.status).toBe(400);
    expect(record).toMatchObject({ jobId: sent.body.jobId, to: '+81312345678', pages: 1 });
    expect(Number.isNaN(Date.parse(record.sentAt))).toBe(false);
    expect(faxedPdf.getPageCount()).toBe(1);

    // Act: the device stops accepting (service off, stop now)
    await control.service(false, 'now');
    await owner.waitForAccepting('MFD-1', false);
    const before = await countStorage(cloud.local);
    const scanRefused = await scan('MFD-1', {
      resolution: 150,
      color: 'monochrome',
      source: 'adf',
      format: 'jpeg',
    });
    const faxRefused = await fax('MFD-1', '+81312345678', jpeg);

    // Assess: the same refusal as print, nothing created
    expect(scanRefused.status).toBe(503);
    expect(scanRefused.body.error).toBe('not-accepting-jobs');
    expect(faxRefused.status).toBe(503);
    expect(faxRefused.body.error).toBe('not-accepting-jobs');
    expect(await countStorage(cloud.local)).toEqual(before);
  });

  it('refuses a scan or fax to a print-only device with 422 naming the function', async () => {
    // Prepare
    await onlineDevice('PRINT-ONLY', []);
    // Act
    const refused = await scan('PRINT-ONLY', {
      resolution: 300,
      color: 'color',
      source: 'flatbed',
      format: 'pdf',
    });
    const faxRefused = await fax('PRINT-ONLY', '+81312345678', jpeg);
    // Assess
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: 'function-not-supported', function: 'scan' });
    expect(faxRefused.status).toBe(422);
    expect(faxRefused.body).toMatchObject({ error: 'function-not-supported', function: 'fax' });
  });

  it('the CLI scans to a file and faxes a file (cloudprint scan / fax)', async () => {
    // Prepare
    const { printer } = await onlineDevice('MFD-CLI', ['--functions', 'print,scan,fax']);
    await owner.waitForPrinter('MFD-CLI', (p) => (p.functions ?? []).includes('fax'), 'functions');
    const dir = await tempDir('cli-mfd');
    const photo = join(dir, 'photo.jpg');
    await writeFile(photo, jpeg);
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
    const target = ['--api', cloud.local.apiUrl, '--key', cloud.local.ownerKey];

    // Act
    const scanCode = await cloudprint(
      ['scan', 'MFD-CLI', '--out', join(dir, 'scan.pdf'), '--timeout', '30', ...target],
      io,
    );
    const faxCode = await cloudprint(
      ['fax', 'MFD-CLI', photo, '--to', '+81312345678', '--wait', '--timeout', '30', ...target],
      io,
    );
    const badCode = await cloudprint(['fax', 'MFD-CLI', photo, '--to', '12345', ...target], io);

    // Assess: the scan (an empty folder: the generated test page) is a PDF; the fax was recorded
    expect(scanCode, out.join('\n')).toBe(0);
    expect((await PDFDocument.load(await readFile(join(dir, 'scan.pdf')))).getPageCount()).toBe(1);
    expect(faxCode, out.join('\n')).toBe(0);
    const records = (await readdir(printer.outDir)).filter((f) => f.endsWith('.fax.json'));
    expect(records).toHaveLength(1);
    expect(JSON.parse(await readFile(join(printer.outDir, records[0] ?? ''), 'utf8')).to).toBe(
      '+81312345678',
    );
    expect(badCode).toBe(1);
  });

  it('an error state of the device (cover open) stops acceptance for scan and fax too', async () => {
    // Prepare
    const { control } = await onlineDevice('MFD-ERR', ['--functions', 'print,scan,fax']);
    await owner.waitForPrinter('MFD-ERR', (p) => (p.functions ?? []).includes('scan'), 'functions');

    // Act
    await control.status('stopped', ['cover-open']);
    await owner.waitForPrinter(
      'MFD-ERR',
      (p) => !p.acceptingJobs && p.state === 'stopped',
      'stopped by the error',
    );
    const scanRefused = await scan('MFD-ERR', { format: 'pdf' });
    const faxRefused = await fax('MFD-ERR', '+81312345678', jpeg);

    // Assess
    expect(scanRefused.status).toBe(503);
    expect(scanRefused.body).toMatchObject({ error: 'not-accepting-jobs', reason: 'cover-open' });
    expect(faxRefused.status).toBe(503);
    expect(faxRefused.body).toMatchObject({ error: 'not-accepting-jobs', reason: 'cover-open' });
  });
});
