/**
 * The `ipp://` / `ipps://` engine: drives a real printer by running CUPS's `ipptool` (Debian package
 * cups-ipp-utils) with a small Print-Job test that then waits for the job to finish on the printer.
 * Without ipptool it says so when opened. Tested against CUPS's ippeveprinter (device-ipp.test.ts).
 */
import { spawn } from 'node:child_process';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { DeviceError, type DevicePort, registerDevice } from './device-port.ts';

const TIMEOUT_MS = 5 * 60_000;
/** Checks, a second apart, for the printed job to finish: ipptool gives up well before it is killed. */
const WAIT_CHECKS = 240;

export function ippDevice(uri: string, ipptool = 'ipptool'): DevicePort {
  return {
    uri,
    async open() {
      if (!(await onPath(ipptool))) {
        throw new DeviceError(`the ${uri} engine needs ipptool: install the cups-ipp-utils package`);
      }
    },
    async print(request) {
      // Print-Job, then wait for the printer to finish the job (state > processing-stopped), so
      // completed means printed, and a job the printer aborts or cancels is reported as such.
      const test = `{
  NAME "Print-Job"
  OPERATION Print-Job
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR language attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name cloudprint
  ATTR name job-name ${quote(request.title || request.jobId)}
  ATTR mimeMediaType document-format application/pdf
  GROUP job-attributes-tag
  ATTR integer copies ${Math.max(1, Math.floor(request.copies))}
  FILE $filename
  STATUS successful-ok
  STATUS successful-ok-ignored-or-substituted-attributes
  EXPECT job-id
  DISPLAY job-id
}
{
  NAME "Wait for the job"
  OPERATION Get-Job-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR language attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR integer job-id $job-id
  ATTR name requesting-user-name cloudprint
  STATUS successful-ok
  DELAY "0,1"
  EXPECT job-state WITH-VALUE >6 REPEAT-NO-MATCH REPEAT-LIMIT ${WAIT_CHECKS}
  DISPLAY job-state
  DISPLAY job-state-reasons
}
`;
      const { code, output } = await runTest(ipptool, uri, test, request.document);
      const accepted = code === 0 || /job-id \(integer\) = \d+/.test(output);
      if (!accepted) throw new DeviceError(`ipptool failed (${code}) for ${uri}: ${tail(output)}`);
      // Accepted but not seen finishing (the wait timed out or is not supported): the printer has
      // the document, and printing it again would be worse than a completion reported early.
      const state = lastMatch(output, /job-state \(enum\) = ([\w-]+)/g);
      if (state === 'aborted' || state === 'canceled') {
        const reasons = lastMatch(output, /job-state-reasons \([^)]*\) = (.+)/g) ?? 'none';
        throw new DeviceError(
          `the printer ${state} the job (${reasons.trim()})`,
          state === 'canceled' ? 'job-canceled-at-device' : 'aborted-by-system',
        );
      }
      return { impressions: request.pages * request.copies };
    },
    async status() {
      const test = `{
  NAME "Get-Printer-Attributes"
  OPERATION Get-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR language attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR keyword requested-attributes printer-state,printer-state-reasons,printer-supply,marker-levels
  STATUS successful-ok
  DISPLAY printer-state
  DISPLAY printer-state-reasons
  DISPLAY printer-supply
  DISPLAY marker-levels
}
`;
      const { code, output } = await runTest(ipptool, uri, test);
      if (code !== 0) throw new DeviceError(`ipptool failed (${code}) for ${uri}: ${tail(output)}`);
      const state = /printer-state \(enum\) = (\w+)/.exec(output)?.[1] ?? 'idle';
      const reasons = (/printer-state-reasons \([^)]*\) = (.+)/.exec(output)?.[1] ?? 'none')
        .split(',')
        .map((r) => r.trim())
        .filter((r) => r && r !== 'none');
      const toner = tonerLevel(output);
      return {
        state: state === 'stopped' || state === 'processing' ? state : 'idle',
        reasons,
        ...(toner === undefined ? {} : { supplies: { toner } }),
      };
    },
  };
}

async function runTest(
  ipptool: string,
  uri: string,
  test: string,
  file?: string,
): Promise<{ code: number | null; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'cloudprint-ipp-'));
  try {
    const testFile = join(dir, 'job.test');
    await writeFile(testFile, test);
    const args = ['-T', String(TIMEOUT_MS / 1000), '-t', ...(file ? ['-f', file] : []), uri, testFile];
    return await run(ipptool, args);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: TIMEOUT_MS });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new DeviceError(
          error.code === 'ENOENT' ? `${command} not found: install cups-ipp-utils` : error.message,
        ),
      ),
    );
    child.once('close', (code) => resolve({ code, output }));
  });
}

async function onPath(command: string): Promise<boolean> {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return true;
    } catch {
      // try the next one
    }
  }
  return false;
}

/**
 * The lowest toner or ink level in percent: from printer-supply (PWG 5100.13, as ippeveprinter and
 * most IPP Everywhere printers report it), else from marker-levels; negative levels mean unknown.
 */
export function tonerLevel(output: string): number | undefined {
  const levels: number[] = [];
  const supply = /printer-supply \([^)]*\) = (.+)/.exec(output)?.[1] ?? '';
  for (const entry of supply.split(/;,/)) {
    const fields = new Map(entry.split(';').map((f) => f.split('=') as [string, string]));
    if (!/^(toner|ink)/i.test(fields.get('type') ?? '')) continue;
    const level = Number(fields.get('level'));
    const max = Number(fields.get('maxcapacity') ?? 100);
    if (Number.isFinite(level) && level >= 0 && max > 0) levels.push(Math.round((level / max) * 100));
  }
  if (levels.length === 0) {
    const markers = /marker-levels \([^)]*\) = (.+)/.exec(output)?.[1] ?? '';
    for (const value of markers.split(',')) {
      const level = Number(value.trim());
      if (value.trim() !== '' && Number.isFinite(level) && level >= 0) levels.push(Math.min(100, level));
    }
  }
  return levels.length > 0 ? Math.min(...levels) : undefined;
}

function tail(output: string): string {
  return output.trim().slice(-500);
}

function lastMatch(output: string, pattern: RegExp): string | undefined {
  return [...output.matchAll(pattern)].at(-1)?.[1];
}

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&').replace(/[\r\n]/g, ' ')}"`;
}

registerDevice('ipp', (uri) => ippDevice(uri));
registerDevice('ipps', (uri) => ippDevice(uri));
