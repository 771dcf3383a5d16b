/**
 * An upload too large to convert within a request (above Settings.asyncConversionBytes, 20 MB) against the
 * local cloud: the ticket creates the job at once (pending, job-incoming); the PUT's arrival starts
 * convert-upload (the local S3 engine's stand-in for the bucket notification); the job becomes fetchable
 * and printer-client prints it. A printer that is not accepting refuses at the ticket, before any upload.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.ts';
import { DEFAULT_SETTINGS } from '../core/settings.ts';
import { PrinterControl, Terminal } from './support/api.ts';
import { photoOf, registerByPin } from './support/flows.ts';
import { type CloudProc, type PrinterProc, startCloud, startPrinter, tempDir } from './support/processes.ts';

const MB = 1024 * 1024;

interface Ticket {
  uploadId: string;
  url: string;
  headers: Record<string, string>;
  jobId?: string;
}

describe('an upload converted after it arrives, on the local cloud', () => {
  let cloud: CloudProc;
  let printer: PrinterProc;
  let owner: Terminal;
  let photo: Buffer;
  const printerId = 'ASYNCP';

  beforeAll(async () => {
    [cloud, photo] = await Promise.all([startCloud(), photoOf(30 * MB, 0.05)]);
    printer = await startPrinter({ server: cloud.local.apiUrl, printerId });
    await registerByPin(cloud, printer);
    owner = new Terminal(cloud.local.apiUrl, cloud.local.ownerKey);
  }, 180_000);

  afterAll(async () => {
    await printer?.stop();
    await cloud?.stop();
  });

  it('refuses the ticket (503) and creates no job while the printer is not accepting', async () => {
    // Act
    const refused = await owner.json('POST', `/v1/printers/${printerId}/uploads`, {
      contentType: 'image/jpeg',
      size: photo.byteLength,
    });
    const jobs = await owner.jobs(printerId);
    // Assess
    expect(refused.status).toBe(503);
    expect(jobs.body.jobs).toEqual([]);
  });

  it('creates the job at the ticket (job-incoming), converts it once the PUT arrives, and the printer prints it', async () => {
    // Prepare
    await new PrinterControl(printer.uiUrl).service(true);
    await owner.waitForAccepting(printerId, true);
    expect(photo.byteLength).toBeGreaterThan(DEFAULT_SETTINGS.asyncConversionBytes);
    // Act
    const ticket = await owner.json<Ticket>('POST', `/v1/printers/${printerId}/uploads`, {
      contentType: 'image/jpeg',
      size: photo.byteLength,
      options: { title: 'Poster', copies: 1, media: 'iso_a4_210x297mm', fit: 'fit', color: 'color' },
    });
    const jobId = ticket.body.jobId ?? '';
    const before = await owner.job(printerId, jobId);
    const started = Date.now();
    const put = await fetch(ticket.body.url, { method: 'PUT', headers: ticket.body.headers, body: photo });
    const done = await owner.waitForJobState(printerId, jobId, 'completed', 120_000);
    const seconds = (Date.now() - started) / 1000;
    // Assess
    expect(ticket.status).toBe(201);
    expect(jobId).not.toBe('');
    expect(before.body).toMatchObject({ state: 'pending', reasons: ['job-incoming'] });
    expect(put.status).toBe(200);
    expect(done).toMatchObject({ state: 'completed' });
    console.info(`async upload: ${photo.byteLength} bytes, PUT to completed in ${seconds.toFixed(1)} s`);
  }, 180_000);

  it('prints the same photo with `cloudprint print --wait` (the ticket makes the job, no second step)', async () => {
    // Prepare
    const file = join(await tempDir('async-upload'), 'poster.jpg');
    await writeFile(file, photo);
    const out: string[] = [];
    const err: string[] = [];
    // Act
    const code = await main(
      ['print', printerId, file, '--wait', '--api', cloud.local.apiUrl, '--key', cloud.local.ownerKey],
      { out: (t) => out.push(t), err: (t) => err.push(t) },
    );
    // Assess
    expect(code, err.join('\n')).toBe(0);
    expect(out.join('\n')).toContain('Uploading');
    expect(out.join('\n')).toMatch(/on ASYNCP: completed/);
  }, 180_000);
});
