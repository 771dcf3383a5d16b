/** The `file` engine: each printed job becomes `<out>/<jobId>.pdf` with `<jobId>.json` beside it. */
import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DevicePort, registerDevice } from './device-port.ts';
import { safeName } from './printer-store.ts';

export function fileDevice(outDir: string): DevicePort {
  return {
    uri: 'file',
    async open() {
      await mkdir(outDir, { recursive: true });
    },
    async print(request) {
      const base = join(outDir, safeName(request.jobId));
      const impressions = request.pages * request.copies;
      // The PDF first, the metadata last: a reader that sees the .json finds a complete .pdf.
      await copyFile(request.document, `${base}.pdf.tmp`);
      await rename(`${base}.pdf.tmp`, `${base}.pdf`);
      const meta = {
        jobId: request.jobId,
        printerId: request.printerId,
        title: request.title,
        pages: request.pages,
        copies: request.copies,
        impressions,
        finishedAt: new Date().toISOString(),
      };
      await writeFile(`${base}.json.tmp`, `${JSON.stringify(meta, null, 2)}\n`);
      await rename(`${base}.json.tmp`, `${base}.json`);
      return { impressions };
    },
    async status() {
      return { state: 'idle', reasons: [] };
    },
  };
}

registerDevice('file', (_uri, context) => fileDevice(context.outDir));
