/** Submit → printed → completed, through the real processes, one job at a time. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PrinterControl, Terminal } from '../test/support/api.ts';
import { makeJpeg, registerByPin } from '../test/support/flows.ts';
import { startCloud, startPrinter } from '../test/support/processes.ts';
import { waitFor } from '../test/support/wait.ts';
import { ms, percentile } from './stats.ts';

export async function latencyBench(jobs: number): Promise<void> {
  const cloud = await startCloud();
  const printer = await startPrinter({ server: cloud.local.apiUrl, printerId: 'bench-1' });
  try {
    await registerByPin(cloud, printer);
    const control = new PrinterControl(printer.uiUrl);
    const owner = new Terminal(cloud.local.apiUrl, cloud.local.ownerKey);
    await control.service(true);
    await owner.waitForAccepting('bench-1', true);
    const jpeg = await makeJpeg(1200, 900);

    const written: number[] = [];
    const completed: number[] = [];
    for (let i = 0; i < jobs + 3; i++) {
      const t0 = performance.now();
      const answer = await owner.submit('bench-1', jpeg, 'image/jpeg');
      if (answer.status !== 202) throw new Error(`submit failed: ${answer.status} ${answer.text}`);
      const { jobId } = answer.body;
      const pdf = join(printer.outDir, `${jobId}.json`);
      await waitFor(async () => ((await stat(pdf).catch(() => null)) ? true : undefined), {
        intervalMs: 2,
        timeoutMs: 30_000,
        what: `job ${jobId} written`,
      });
      const t1 = performance.now();
      await waitFor(
        async () => ((await owner.job('bench-1', jobId)).body.state === 'completed' ? true : undefined),
        {
          intervalMs: 2,
          timeoutMs: 30_000,
          what: `job ${jobId} completed`,
        },
      );
      const t2 = performance.now();
      // the first three warm the handlers, as a warm Lambda would be
      if (i >= 3) {
        written.push(t1 - t0);
        completed.push(t2 - t0);
      }
    }
    written.sort((a, b) => a - b);
    completed.sort((a, b) => a - b);
    console.log(
      `1. End-to-end latency, one-page ${jpeg.length} B JPEG (1200×900), ${jobs} jobs, local cloud`,
    );
    console.log('   | measure                         | median     | p95        |');
    console.log('   | ------------------------------- | ---------- | ---------- |');
    console.log(
      `   | submit → PDF written            | ${ms(percentile(written, 50)).padEnd(10)} | ${ms(percentile(written, 95)).padEnd(10)} |`,
    );
    console.log(
      `   | submit → job completed in cloud | ${ms(percentile(completed, 50)).padEnd(10)} | ${ms(percentile(completed, 95)).padEnd(10)} |`,
    );
  } finally {
    await printer.stop();
    await cloud.stop();
  }
}
