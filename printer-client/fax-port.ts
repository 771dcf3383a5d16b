/**
 * The fax engine port (the patent's variation 2), registered per scheme like the print engines.
 * `emulated` writes `<out>/<jobId>.fax.pdf` (the document sent) and then `<out>/<jobId>.fax.json`
 * (number, pages, time): the record last, so after a crash an existing record means sent.
 */
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeviceError } from './device-port.ts';
import { safeName } from './printer-store.ts';

export interface FaxRequest {
  jobId: string;
  to: string;
  pages: number;
  /** Path of the spooled PDF. */
  document: string;
}

export interface FaxResult {
  pages: number;
}

export interface FaxPort {
  readonly uri: string;
  send(request: FaxRequest): Promise<FaxResult>;
  /** After a restart: the fax's result if it was sent, null if it never was (send it). */
  follow(request: FaxRequest): Promise<FaxResult | null>;
}

type FaxFactory = (uri: string, context: { outDir: string }) => FaxPort;
const factories = new Map<string, FaxFactory>();

export function registerFax(scheme: string, factory: FaxFactory): void {
  factories.set(scheme, factory);
}

export function createFax(uri: string, context: { outDir: string }): FaxPort {
  const factory = factories.get(uri);
  if (!factory)
    throw new DeviceError(`no fax engine for "${uri}" (known: ${[...factories.keys()].join(', ')})`);
  return factory(uri, context);
}

export function emulatedFax(outDir: string): FaxPort {
  const base = (request: FaxRequest) => join(outDir, `${safeName(request.jobId)}.fax`);
  return {
    uri: 'emulated',
    async send(request) {
      await mkdir(outDir, { recursive: true });
      await copyFile(request.document, `${base(request)}.pdf`);
      const record = {
        jobId: request.jobId,
        to: request.to,
        pages: request.pages,
        sentAt: new Date().toISOString(),
      };
      await writeFile(`${base(request)}.json.tmp`, `${JSON.stringify(record, null, 2)}\n`);
      await rename(`${base(request)}.json.tmp`, `${base(request)}.json`);
      return { pages: request.pages };
    },
    async follow(request) {
      const sent = await readFile(`${base(request)}.json`, 'utf8').catch(() => null);
      return sent ? { pages: (JSON.parse(sent) as FaxResult).pages } : null;
    },
  };
}

registerFax('emulated', (_uri, context) => emulatedFax(context.outDir));
