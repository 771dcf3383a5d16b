import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/support/processes.ts';
import { createScanner, type ScanRequest } from './scan-port.ts';

const request: ScanRequest = {
  jobId: 'j1',
  title: 'Scan',
  resolution: 75,
  color: 'color',
  source: 'flatbed',
  format: 'pdf',
};

async function solid(color: string): Promise<Buffer> {
  return sharp({ create: { width: 40, height: 30, channels: 3, background: color } })
    .png()
    .toBuffer();
}

describe('the emulated scanner', () => {
  it('draws a one-page test scan when its folder is empty, as PDF or JPEG', async () => {
    // Prepare
    const scanner = createScanner('emulated', { sourceDir: await tempDir('scan-empty') });
    // Act
    const pdf = await scanner.scan(request);
    const jpeg = await scanner.scan({ ...request, format: 'jpeg', color: 'monochrome' });
    // Assess
    expect(pdf.contentType).toBe('application/pdf');
    expect((await PDFDocument.load(pdf.bytes)).getPageCount()).toBe(1);
    expect(jpeg.contentType).toBe('image/jpeg');
    const meta = await sharp(jpeg.bytes).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.channels).toBe(1);
  });

  it('takes the folder’s images in name order, one per scan, then starts again', async () => {
    // Prepare
    const dir = await tempDir('scan-source');
    await writeFile(join(dir, 'a.png'), await solid('#ff0000'));
    await writeFile(join(dir, 'b.png'), await solid('#0000ff'));
    await writeFile(join(dir, 'notes.txt'), 'not an image');
    const scanner = createScanner('emulated', { sourceDir: dir });
    const red = async () => {
      const scan = await scanner.scan({ ...request, format: 'jpeg' });
      const { dominant } = await sharp(scan.bytes).stats();
      return dominant.r > dominant.b;
    };
    // Act
    const order = [await red(), await red(), await red()];
    // Assess
    expect(order).toEqual([true, false, true]);
  });
});

describe('the SANE scanner (scanimage)', () => {
  it('scans from SANE’s test backend into a PDF', async () => {
    // Prepare
    const scanner = createScanner('sane:test', {});
    // Act
    const scan = await scanner.scan(request);
    // Assess
    expect(scan.contentType).toBe('application/pdf');
    expect((await PDFDocument.load(scan.bytes)).getPageCount()).toBe(1);
  });

  it('refuses an unknown scheme and names the known ones', () => {
    expect(() => createScanner('escl-nope://x', {})).toThrow(/known: emulated, sane/);
  });
});
