/**
 * The `ipp://` / `ipps://` engine: drives a real printer by running CUPS's `ipptool` (Debian package
 * cups-ipp-utils): Print-Job (offered again while the printer is busy), then a wait for the job to
 * finish on the printer. The job-name carries the cloud job id, so after a restart the job is found
 * with Get-Jobs and followed instead of printed again. Without ipptool it says so when opened.
 * Tested against CUPS's ippeveprinter (device-ipp.test.ts).
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { access, constants, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Backoff, type BackoffOptions } from './backoff.ts';
import {
  DeviceError,
  type DevicePort,
  JobFailed,
  type PrintProgress,
  type PrintRequest,
  type PrintResult,
  registerDevice,
} from './device-port.ts';
import { safeName } from './printer-store.ts';

const TIMEOUT_MS = 5 * 60_000;
/** Checks, a second apart, for the printed job to finish: ipptool gives up well before it is killed. */
const WAIT_CHECKS = 240;
/** IPP answers that mean "not now": the job is offered again later, never aborted. */
const NOT_NOW = [
  'server-error-busy',
  'server-error-not-accepting-jobs',
  'server-error-service-unavailable',
  'server-error-temporary-error',
];
/** job-name is a name(255): the title is cut to leave room for the cloud job id that follows it. */
const NAME_OCTETS = 255;

export interface IppDeviceOptions {
  ipptool?: string;
  /** Backoff between offers of a job the printer cannot take yet (default 1 s doubling to 60 s). */
  retry?: BackoffOptions;
  sleep?: (ms: number) => Promise<void>;
}

export function ippDevice(uri: string, options: IppDeviceOptions = {}): DevicePort {
  const ipptool = options.ipptool ?? 'ipptool';
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const test = (body: string, variables: Record<string, string> = {}, file?: string) =>
    runTest(ipptool, uri, body, variables, file);

  /**
   * Print-Job, offered again with backoff for as long as the printer answers "not now" (busy, not
   * accepting): a busy printer is no reason to abort a job. Resolves with the printer's job-id.
   */
  async function submit(request: PrintRequest, progress: PrintProgress): Promise<string> {
    const backoff = new Backoff({ maxMs: 60_000, ...options.retry });
    for (;;) {
      const { code, output } = await test(
        printJobTest,
        { job_name: jobName(request), copies: String(Math.max(1, Math.floor(request.copies))) },
        request.document,
      );
      const jobId = /job-id \(integer\) = (\d+)/.exec(output)?.[1];
      if (jobId) return jobId;
      const status = /status-code = ([\w-]+)/.exec(output)?.[1];
      // Unable to connect: the request never left, so offering it again cannot print it twice.
      const notNow = status ? NOT_NOW.includes(status) : /Unable to connect/i.test(output);
      if (!notNow) throw new DeviceError(`ipptool failed (${code}) for ${uri}: ${tail(output)}`);
      const ms = backoff.next();
      progress.waiting?.(status ?? 'printer unreachable', ms);
      await sleep(ms);
    }
  }

  /**
   * Waits (up to 4 minutes, checking every second) for the printer to finish the job, so
   * completed means printed and a job the printer aborts or cancels is reported as such.
   * Not seen finishing (the wait timed out, or the printer already forgot the job): the printer
   * has the document, and printing it again would be worse than a completion reported early.
   */
  async function finish(request: PrintRequest, jobId: string): Promise<PrintResult> {
    const { output } = await test(waitTest, { engine_job: jobId });
    const state = lastMatch(output, /job-state \(enum\) = ([\w-]+)/g);
    if (state === 'aborted' || state === 'canceled') {
      const reasons = lastMatch(output, /job-state-reasons \([^)]*\) = (.+)/g) ?? 'none';
      throw new JobFailed(
        `the printer ${state} the job (${reasons.trim()})`,
        state === 'canceled' ? 'job-canceled-at-device' : 'aborted-by-system',
      );
    }
    return { impressions: request.pages * request.copies };
  }

  /** The printer's job-id for a cloud job, from its job-name (newest first); null if it has none. */
  async function find(request: PrintRequest): Promise<string | null> {
    const { code, output } = await test(getJobsTest);
    if (code !== 0) throw new DeviceError(`ipptool Get-Jobs failed (${code}) for ${uri}: ${tail(output)}`);
    const marker = jobMarker(request.jobId);
    const ids: number[] = [];
    // -c: one CSV row per job, the DISPLAY columns in order: job-id,job-name
    for (const line of output.split('\n')) {
      const row = /^(\d+),(.*)$/.exec(line.trim());
      // The marker ends the name: a title that quotes another job's marker does not match it.
      const name = row?.[2]?.replace(/\\/g, '').replace(/^"|"$/g, '');
      if (row?.[1] && name?.endsWith(marker)) ids.push(Number(row[1]));
    }
    return ids.length > 0 ? String(Math.max(...ids)) : null;
  }

  /** Whether the printer still knows the job (it forgets finished jobs after a while). */
  async function known(jobId: string): Promise<boolean> {
    const { code, output } = await test(getJobTest, { engine_job: jobId });
    if (code === 0) return true;
    if (/status-code = client-error-not-found/.test(output)) return false;
    throw new DeviceError(`ipptool Get-Job-Attributes failed (${code}) for ${uri}: ${tail(output)}`);
  }

  return {
    uri,
    async open() {
      if (!(await onPath(ipptool))) {
        throw new DeviceError(`the ${uri} engine needs ipptool: install the cups-ipp-utils package`);
      }
    },
    async print(request, progress = {}) {
      const jobId = await submit(request, progress);
      await progress.accepted?.(jobId);
      return finish(request, jobId);
    },
    async follow(request, ref) {
      const jobId = ref ?? (await find(request));
      if (jobId === null) return null;
      // Journaled but forgotten by the printer: it took the job and finished with it long ago.
      if (ref !== undefined && !(await known(ref))) return { impressions: request.pages * request.copies };
      return finish(request, jobId);
    },
    async status() {
      const { code, output } = await test(printerStateTest);
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

/** What job-name carries so the job can be found on the printer after a restart: the cloud job id. */
function jobMarker(jobId: string): string {
  return `(cloudprint ${safeName(jobId)})`;
}

/** `<title> (cloudprint <jobId>)`, the title cut (whole characters) to fit name(255). */
export function jobName(request: PrintRequest): string {
  const marker = jobMarker(request.jobId);
  const room = NAME_OCTETS - Buffer.byteLength(` ${marker}`);
  let title = (request.title || request.jobId).replace(/[\r\n]/g, ' ');
  while (Buffer.byteLength(title) > room) title = [...title].slice(0, -1).join('');
  return `${title} ${marker}`;
}

const OPERATION_HEADER = `GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR language attributes-natural-language en
  ATTR uri printer-uri $uri`;

const printJobTest = `{
  NAME "Print-Job"
  OPERATION Print-Job
  ${OPERATION_HEADER}
  ATTR name requesting-user-name cloudprint
  ATTR name job-name "$job_name"
  ATTR mimeMediaType document-format application/pdf
  GROUP job-attributes-tag
  ATTR integer copies $copies
  FILE $filename
  STATUS successful-ok
  STATUS successful-ok-ignored-or-substituted-attributes
  EXPECT job-id
  DISPLAY job-id
}
`;

const waitTest = `{
  NAME "Wait for the job"
  OPERATION Get-Job-Attributes
  ${OPERATION_HEADER}
  ATTR integer job-id $engine_job
  ATTR name requesting-user-name cloudprint
  STATUS successful-ok
  DELAY "0,1"
  EXPECT job-state WITH-VALUE >6 REPEAT-NO-MATCH REPEAT-LIMIT ${WAIT_CHECKS}
  DISPLAY job-state
  DISPLAY job-state-reasons
}
`;

const getJobTest = `{
  NAME "Get-Job-Attributes"
  OPERATION Get-Job-Attributes
  ${OPERATION_HEADER}
  ATTR integer job-id $engine_job
  ATTR name requesting-user-name cloudprint
  ATTR keyword requested-attributes job-state
  STATUS successful-ok
}
`;

const getJobsTest = `{
  NAME "Get-Jobs"
  OPERATION Get-Jobs
  ${OPERATION_HEADER}
  ATTR name requesting-user-name cloudprint
  ATTR keyword which-jobs all
  ATTR keyword requested-attributes job-id,job-name
  STATUS successful-ok
  DISPLAY job-id
  DISPLAY job-name
}
`;

const printerStateTest = `{
  NAME "Get-Printer-Attributes"
  OPERATION Get-Printer-Attributes
  ${OPERATION_HEADER}
  ATTR keyword requested-attributes printer-state,printer-state-reasons,printer-supply,marker-levels
  STATUS successful-ok
  DISPLAY printer-state
  DISPLAY printer-state-reasons
  DISPLAY printer-supply
  DISPLAY marker-levels
}
`;

/**
 * The test files, written once per process (a few fixed texts): writing, and removing, a temp file for
 * every request cost each job milliseconds of file system work. Removed when the process exits.
 */
let testDir: Promise<string> | undefined;
const testFiles = new Map<string, Promise<string>>();

function testFile(test: string): Promise<string> {
  let path = testFiles.get(test);
  if (!path) {
    testDir ??= mkdtemp(join(tmpdir(), 'cloudprint-ipp-')).then((dir) => {
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      return dir;
    });
    const name = `test-${testFiles.size}.test`;
    path = testDir.then(async (dir) => {
      await writeFile(join(dir, name), test);
      return join(dir, name);
    });
    // a failed write is tried again next time
    path.catch(() => testFiles.delete(test));
    testFiles.set(test, path);
  }
  return path;
}

async function runTest(
  ipptool: string,
  uri: string,
  test: string,
  variables: Record<string, string>,
  file?: string,
): Promise<{ code: number | null; output: string }> {
  // -d passes values as variables, so no title can break the test file's syntax. Get-Jobs: -c (CSV).
  const report = test.includes('OPERATION Get-Jobs') ? '-c' : '-t';
  const args = [
    ...['-T', String(TIMEOUT_MS / 1000), report, ...(file ? ['-f', file] : [])],
    ...Object.entries(variables).flatMap(([name, value]) => ['-d', `${name}=${value}`]),
    ...[uri, await testFile(test)],
  ];
  return run(ipptool, args);
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

registerDevice('ipp', (uri) => ippDevice(uri));
registerDevice('ipps', (uri) => ippDevice(uri));
