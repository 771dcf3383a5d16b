/**
 * The `file` engine: each printed job becomes `<out>/<jobId>.pdf` with `<jobId>.json` beside it.
 * The PDF is the print: it appears whole or not at all (written to a temp file, flushed to disk,
 * then renamed), so after a crash an existing `<jobId>.pdf` means printed and a half-written temp
 * file means not.
 */
import { copyFile, mkdir, open, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type DevicePort, type PrintRequest, registerDevice } from './device-port.ts';
import { safeName } from './printer-store.ts';

export function fileDevice(outDir: string): DevicePort {
  const base = (request: PrintRequest) => join(outDir, safeName(request.jobId));
  return {
    uri: 'file',
    async open() {
      await mkdir(outDir, { recursive: true });
    },
    async print(request) {
      const path = base(request);
      await copyFile(request.document, `${path}.pdf.tmp`);
      await flush(`${path}.pdf.tmp`);
      await rename(`${path}.pdf.tmp`, `${path}.pdf`);
      await flush(outDir);
      // The metadata last: a reader that sees the .json finds a complete .pdf.
      await writeMeta(request);
      return { impressions: impressions(request) };
    },
    async follow(request) {
      const path = base(request);
      if (!(await exists(`${path}.pdf`))) return null;
      if (!(await exists(`${path}.json`))) await writeMeta(request);
      return { impressions: impressions(request) };
    },
    async status() {
      return { state: 'idle', reasons: [] };
    },
  };

  async function writeMeta(request: PrintRequest): Promise<void> {
    const path = base(request);
    const meta = {
      jobId: request.jobId,
      printerId: request.printerId,
      title: request.title,
      pages: request.pages,
      copies: request.copies,
      impressions: impressions(request),
      finishedAt: new Date().toISOString(),
    };
    const temp = `${path}.json.tmp`;
    const file = await open(temp, 'w');
    try {
      await file.writeFile(`${JSON.stringify(meta, null, 2)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, `${path}.json`);
  }
}

function impressions(request: PrintRequest): number {
  return request.pages * request.copies;
}

/** Forces a file's (or a directory's entries') data to disk. */
async function flush(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

registerDevice('file', (_uri, context) => fileDevice(context.outDir));
