/**
 * A real CUPS queue on the cloud's IPP door: a private cupsd adds the share key's ippUri with
 * `lpadmin -m everywhere` (no credentials, as CUPS does), `lp` of a PDF and of a JPEG print through to
 * printer-client's output. When the printer stops accepting, CUPS keeps the job in its own queue (the
 * cloud creates none) and prints it once acceptance resumes.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrinterControl, Terminal } from './support/api.ts';
import { type Cupsd, startCupsd } from './support/cupsd.ts';
import { makeJpeg, registerByPin } from './support/flows.ts';
import { type CloudProc, type PrinterProc, startCloud, startPrinter, tempDir } from './support/processes.ts';
import { countStorage } from './support/storage.ts';
import { sleep, waitFor } from './support/wait.ts';

const PDF = '/usr/share/cups/data/default-testpage.pdf';

interface CloudJob {
  jobId: string;
  title: string;
  state: string;
  sourceFormat: string;
}

describe('a CUPS queue on the IPP door', () => {
  let cloud: CloudProc;
  let printer: PrinterProc;
  let cups: Cupsd;
  let owner: Terminal;
  let control: PrinterControl;
  let ippUri: string;
  const printerId = 'CUPS1';

  const cloudJobs = async () =>
    (await owner.request<{ jobs: CloudJob[] }>('GET', `/v1/printers/${printerId}/jobs`)).body.jobs;

  const completed = (title: string, timeoutMs = 90_000) =>
    waitFor(async () => (await cloudJobs()).find((j) => j.title === title && j.state === 'completed'), {
      timeoutMs,
      intervalMs: 500,
      what: `cloud job "${title}" completed`,
    });

  beforeAll(async () => {
    cloud = await startCloud();
    printer = await startPrinter({ server: cloud.local.apiUrl, printerId });
    owner = new Terminal(cloud.local.apiUrl, cloud.local.ownerKey);
    control = new PrinterControl(printer.uiUrl);
    await registerByPin(cloud, printer);
    await control.service(true);
    await owner.waitForAccepting(printerId, true);
    const key = await owner.json<{ ippUri: string }>('POST', `/v1/printers/${printerId}/share-keys`, {
      label: 'cups',
    });
    ippUri = key.body.ippUri;
    cups = await startCupsd();
  });

  afterAll(async () => {
    await cups?.stop();
    await printer?.stop();
    await cloud?.stop();
  });

  // print-color-mode-default=color: without it CUPS 2.4.2 sent the first jobs of a new queue as monochrome.
  it('adds the queue with lpadmin -m everywhere and prints a PDF and a JPEG through to the printer', async () => {
    // Prepare
    const dir = await tempDir('cups-docs');
    const jpeg = join(dir, 'photo.jpg');
    await writeFile(jpeg, await makeJpeg(640, 480));
    // Act
    await cups.tool('lpadmin', [
      '-p',
      'cloud',
      '-E',
      '-v',
      ippUri,
      '-m',
      'everywhere',
      '-o',
      'print-color-mode-default=color',
    ]);
    await cups.tool('lp', ['-d', 'cloud', '-t', 'cups-pdf', PDF]);
    await cups.tool('lp', ['-d', 'cloud', '-t', 'cups-jpeg', jpeg]);
    // Assess
    const pdfJob = await completed('cups-pdf');
    const jpegJob = await completed('cups-jpeg');
    expect(pdfJob.sourceFormat).toBe('application/pdf');
    expect((jpegJob as CloudJob & { options: { color: string } }).options.color).toBe('color');
    expect(['application/pdf', 'image/jpeg']).toContain(jpegJob.sourceFormat);
    const printed = await waitFor(
      async () => {
        const files = await readdir(printer.outDir).catch(() => [] as string[]);
        return files.includes(`${pdfJob.jobId}.pdf`) && files.includes(`${jpegJob.jobId}.pdf`)
          ? files
          : undefined;
      },
      { timeoutMs: 30_000, what: 'both jobs in the printer output' },
    );
    expect(printed.length).toBeGreaterThanOrEqual(2);
  }, 180_000); // CUPS's filters and the queue on a loaded 2-core machine: a minute is not always enough

  it('holds the job in CUPS while the printer is not accepting (none in the cloud) and prints it once it accepts again', async () => {
    // Prepare
    await control.service(false, 'now');
    await owner.waitForAccepting(printerId, false);
    const before = await countStorage(cloud.local);
    // Act
    await cups.tool('lp', ['-d', 'cloud', '-t', 'cups-held', PDF]);
    await sleep(6_000);
    const whileRefused = await countStorage(cloud.local);
    const queued = await cups.tool('lpstat', ['-o', 'cloud']);
    await control.service(true);
    await owner.waitForAccepting(printerId, true);
    // Assess
    expect(whileRefused).toEqual(before);
    // CUPS's ipp backend met the refusal (server-error-not-accepting-jobs) and kept the job to retry.
    expect(await cups.errorLog()).toContain('is not accepting print jobs');
    expect(queued).toContain('cloud-');
    const held = await completed('cups-held', 120_000);
    expect(held.sourceFormat).toBe('application/pdf');
  }, 240_000); // CUPS retries a refused job on its own schedule: the wait above is up to 120 s
});
