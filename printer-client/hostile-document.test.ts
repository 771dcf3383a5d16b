/** printer-client's own parse of a spooled PDF is bounded too (issue 6, finding 2). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pdfBomb } from '../core/testing/hostile-documents.ts';
import { harness, until } from './testing-fakes.ts';

describe('a PDF whose object stream inflates to 1 GiB', () => {
  it('is counted without inflating it: printed within seconds, memory flat, pages from the cloud', async () => {
    // Prepare
    const h = await harness();
    const jobId = await h.cloud.addJob({ document: await pdfBomb(1024 ** 3) });
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 20);
    const started = performance.now();
    // Act
    await h.printer.setService(true);
    await until(() => h.cloud.jobs.get(jobId)?.state === 'completed', 'printed', 40_000);
    clearInterval(sampler);
    // Assess
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(peakRss - rssBefore).toBeLessThan(300 * 1024 ** 2);
    const meta = JSON.parse(await readFile(join(h.outDir, `${jobId}.json`), 'utf8'));
    expect(meta.pages).toBe(1);
  }, 60_000);
});
