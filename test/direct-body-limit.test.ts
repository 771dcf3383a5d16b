/**
 * The direct-body limit: API Gateway hands a Lambda at most 6 MB, so a request body carries about
 * 4.5 MB of document. Above it the local cloud answers 413 as AWS would (the gateway for what cannot
 * reach a Lambda, the handler with a pointer to uploads for what can), and `cloudprint print` of the
 * same photos succeeds through an upload.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIRECT_BODY_LIMIT, main } from '../cli/main.ts';
import { IPP_MAX_DOCUMENT_KB } from '../core/ipp/printer-attributes.ts';
import { DIRECT_BODY_MAX_BYTES } from '../core/print-request.ts';
import { PrinterControl, Terminal } from './support/api.ts';
import { photoOf, registerByPin } from './support/flows.ts';
import { type CloudProc, type PrinterProc, startCloud, startPrinter, tempDir } from './support/processes.ts';

describe('the direct-body limit, one figure', () => {
  it('is where the CLI switches to uploads, and the IPP door’s document limit stays inside it', () => {
    expect(DIRECT_BODY_LIMIT).toBe(DIRECT_BODY_MAX_BYTES);
    expect(IPP_MAX_DOCUMENT_KB * 1024).toBeLessThanOrEqual(DIRECT_BODY_MAX_BYTES);
  });
});

describe('a photo above the direct-body limit against the local cloud', () => {
  let cloud: CloudProc;
  let printer: PrinterProc;
  let owner: Terminal;
  let dir: string;
  const printerId = 'BIGP';
  const photos: Record<string, Buffer> = {};

  beforeAll(async () => {
    [cloud, photos.justOver, photos.mid, photos.large] = await Promise.all([
      startCloud(),
      // its event must fit Lambda's 6 MB (about 4.71 MB of body), so it is made to within 1 %
      photoOf(4_600_000, 0.01),
      photoOf(5_500_000),
      photoOf(8_000_000),
    ]);
    printer = await startPrinter({ server: cloud.local.apiUrl, printerId });
    await registerByPin(cloud, printer);
    await new PrinterControl(printer.uiUrl).service(true);
    owner = new Terminal(cloud.local.apiUrl, cloud.local.ownerKey);
    await owner.waitForAccepting(printerId, true);
    dir = await tempDir('big-photos');
  }, 120_000);

  afterAll(async () => {
    await printer?.stop();
    await cloud?.stop();
  });

  it('answers a body the gateway hands on (4.6 MB) with a 413 that points at uploads', async () => {
    // Act
    const answer = await owner.submit(printerId, photos.justOver as Buffer, 'image/jpeg');

    // Assess
    expect((photos.justOver as Buffer).byteLength).toBeGreaterThan(DIRECT_BODY_MAX_BYTES);
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({
      error: 'too-large',
      limit: DIRECT_BODY_MAX_BYTES,
      uploads: `/v1/printers/${printerId}/uploads`,
    });
    expect(answer.text).toContain(`POST /v1/printers/${printerId}/uploads`);
  });

  it('refuses 5.5 MB and 8 MB photos at the gateway (413), as API Gateway does', async () => {
    // Act
    const mid = await owner.submit(printerId, photos.mid as Buffer, 'image/jpeg');
    const large = await owner.submit(printerId, photos.large as Buffer, 'image/jpeg');
    const jobs = await owner.request<{ jobs: unknown[] }>('GET', `/v1/printers/${printerId}/jobs`);

    // Assess
    expect(mid.status).toBe(413);
    expect(large.status).toBe(413);
    expect(mid.body).toEqual({ message: 'Request Entity Too Large' });
    expect(jobs.body.jobs).toHaveLength(0);
  });

  it('prints the 5.5 MB and 8 MB photos with `cloudprint print` (through an upload)', async () => {
    // Prepare
    const target = ['--api', cloud.local.apiUrl, '--key', cloud.local.ownerKey];
    const results: Array<{ code: number; out: string; err: string; bytes: number }> = [];

    // Act
    for (const name of ['mid', 'large'] as const) {
      const file = join(dir, `${name}.jpg`);
      const bytes = photos[name] as Buffer;
      await writeFile(file, bytes);
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(['print', printerId, file, '--wait', ...target], {
        out: (t) => out.push(t),
        err: (t) => err.push(t),
      });
      results.push({ code, out: out.join('\n'), err: err.join('\n'), bytes: bytes.byteLength });
    }

    // Assess
    for (const result of results) {
      expect(result.bytes).toBeGreaterThan(DIRECT_BODY_MAX_BYTES);
      expect(result.code, result.err).toBe(0);
      expect(result.out).toContain('Uploading');
      expect(result.out).toMatch(/on BIGP: completed/);
    }
    console.info(`photos printed through uploads: ${results.map((r) => r.bytes).join(', ')} bytes`);
  }, 120_000);
});
