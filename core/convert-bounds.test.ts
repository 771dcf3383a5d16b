/**
 * Work per document is bounded before it is done (issue 6, findings 2 and 3): decompression bombs and
 * gigapixel TIFFs are refused within seconds, without the memory they ask for, off the event loop.
 */
import { describe, expect, it } from 'vitest';
import { convertDocument, DEFAULT_CONVERT_OPTIONS } from './convert.ts';
import { MAX_TOTAL_PIXELS } from './convert-image.ts';
import { convertIsolated } from './convert-isolated.ts';
import { MAX_PDF_INFLATED_BYTES } from './convert-pdf.ts';
import { HttpError } from './errors.ts';
import { hugeTiff, pdfBomb } from './testing/hostile-documents.ts';

const GiB = 1024 ** 3;

/** Runs `work` while sampling the event loop's largest stall and the process's RSS. */
async function observed<T>(work: () => Promise<T>) {
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  let worstLag = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worstLag = Math.max(worstLag, now - last - 10);
    last = now;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 10);
  const started = performance.now();
  const outcome = await work().then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );
  const ms = performance.now() - started;
  clearInterval(timer);
  return { ...outcome, ms, worstLag, rssGrowth: peakRss - rssBefore };
}

describe('a PDF decompression bomb', () => {
  it(`is refused with 413 before its object stream is inflated past ${MAX_PDF_INFLATED_BYTES} bytes`, async () => {
    // Prepare: 3 KB that inflate to 1 GiB
    const bomb = await pdfBomb(GiB);
    // Act
    const { error, ms, rssGrowth } = await observed(() =>
      convertDocument(bomb, 'application/pdf', DEFAULT_CONVERT_OPTIONS),
    );
    // Assess
    expect(bomb.length).toBeLessThan(4096);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ statusCode: 413 });
    expect((error as Error).message).toMatch(/inflate|decompress/i);
    expect(ms).toBeLessThan(5000);
    expect(rssGrowth).toBeLessThan(256 * 1024 ** 2);
  }, 30_000);

  it('is refused in a worker while the event loop keeps serving other requests', async () => {
    // Prepare
    const bomb = await pdfBomb(GiB);
    // Act
    const { error, ms, worstLag } = await observed(() =>
      convertIsolated(bomb, 'application/pdf', DEFAULT_CONVERT_OPTIONS, { timeoutMs: 20_000 }),
    );
    // Assess
    expect(error).toMatchObject({ statusCode: 413, code: 'too-large' });
    // Generous for a loaded CI machine; in process, unbounded, this took 18 s with the loop held throughout.
    expect(ms).toBeLessThan(10_000);
    expect(worstLag).toBeLessThan(1000);
  }, 30_000);

  it('still passes an ordinary PDF with an object stream', async () => {
    // Prepare: a small object stream, well within the bound
    const small = await pdfBomb(1 << 20);
    // Act
    const result = await convertIsolated(small, 'application/pdf', DEFAULT_CONVERT_OPTIONS, {
      timeoutMs: 20_000,
    });
    // Assess
    expect(result.pages).toBe(1);
    expect(Buffer.from(result.pdf).equals(small)).toBe(true);
  }, 30_000);
});

describe('the conversion worker', () => {
  it('is stopped at its time limit and the request refused with a clear 422', async () => {
    // Prepare: 20 pages of 16 megapixels take far more than 100 ms to convert
    const tiff = hugeTiff(20, 4000, 4000);
    // Act
    const { error, ms } = await observed(() =>
      convertIsolated(tiff, 'image/tiff', DEFAULT_CONVERT_OPTIONS, { timeoutMs: 100 }),
    );
    // Assess
    expect(error).toMatchObject({ statusCode: 422, code: 'unreadable-document' });
    expect((error as Error).message).toMatch(/too long/);
    expect(ms).toBeLessThan(3000);
  }, 30_000);
});

describe('a TIFF of 100 pages of 100 megapixels', () => {
  it(`is refused with 413 from its headers, before any page is decoded (limit ${MAX_TOTAL_PIXELS} pixels in all)`, async () => {
    // Prepare: about 20 KB claiming 10 gigapixels
    const tiff = hugeTiff(100, 10_000, 10_000);
    // Act
    const { error, ms, rssGrowth } = await observed(() =>
      convertDocument(tiff, 'image/tiff', DEFAULT_CONVERT_OPTIONS),
    );
    // Assess
    expect(tiff.length).toBeLessThan(110_000);
    expect(error).toMatchObject({ statusCode: 413 });
    expect((error as Error).message).toMatch(/10000 megapixels/);
    expect(ms).toBeLessThan(5000);
    expect(rssGrowth).toBeLessThan(256 * 1024 ** 2);
  }, 60_000);
});
