import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import './device-file.ts';
import { ippDevice, jobName } from './device-ipp.ts';
import { createDevice, DeviceError } from './device-port.ts';
import { makePdf } from './testing-fakes.ts';

async function spooled() {
  const dir = await mkdtemp(join(tmpdir(), 'cloudprint-dev-'));
  const document = join(dir, 'doc.pdf');
  await writeFile(document, await makePdf(2));
  return { dir, document };
}

describe('device registry', () => {
  it('picks the engine by scheme and refuses an unknown one', () => {
    expect(createDevice('file', { outDir: '/tmp/x' }).uri).toBe('file');
    expect(createDevice('ipp://printer.local:631/ipp/print', { outDir: '/tmp/x' }).uri).toBe(
      'ipp://printer.local:631/ipp/print',
    );
    expect(() => createDevice('lpd://queue', { outDir: '/tmp/x' })).toThrow(DeviceError);
  });
});

describe('file engine', () => {
  it('writes <jobId>.pdf and <jobId>.json with title, pages, copies, finished time', async () => {
    // Prepare
    const { dir, document } = await spooled();
    const out = join(dir, 'out');
    const device = createDevice('file', { outDir: out });

    // Act
    await device.open();
    const result = await device.print({
      jobId: 'J1',
      printerId: 'P1',
      title: 'Report',
      pages: 2,
      copies: 3,
      document,
    });

    // Assess
    expect(result).toEqual({ impressions: 6 });
    expect(await readFile(join(out, 'J1.pdf'))).toEqual(await readFile(document));
    const meta = JSON.parse(await readFile(join(out, 'J1.json'), 'utf8'));
    expect(meta).toMatchObject({ jobId: 'J1', printerId: 'P1', title: 'Report', pages: 2, copies: 3 });
    expect(Number.isNaN(Date.parse(meta.finishedAt))).toBe(false);
  });
});

describe('ipp engine (ipptool)', () => {
  it('says clearly when ipptool is missing', async () => {
    const device = ippDevice('ipp://printer.local/ipp/print', { ipptool: '/nonexistent/ipptool' });
    await expect(device.open()).rejects.toThrow(/cups-ipp-utils/);
  });

  it('runs a Print-Job test with the document, copies and a job name carrying the cloud job id', async () => {
    // Prepare: an ipptool stand-in that records what it was asked
    const { dir, document } = await spooled();
    const log = join(dir, 'calls.log');
    const tool = join(dir, 'ipptool');
    await writeFile(
      tool,
      '#!/bin/sh\n' +
        `for arg; do echo "$arg" >> ${log}; done\nfor last; do :; done\ncat "$last" >> ${log}\n` +
        'echo "job-id (integer) = 7"\necho "job-state (enum) = completed"\necho "printer-state (enum) = idle"\n',
    );
    await chmod(tool, 0o755);
    const device = ippDevice('ipp://127.0.0.1:631/ipp/print', { ipptool: tool });

    // Act
    await device.open();
    const result = await device.print({
      jobId: 'J1',
      printerId: 'P1',
      title: 'Say "hi"',
      pages: 2,
      copies: 2,
      document,
    });
    const status = await device.status();

    // Assess
    const calls = await readFile(log, 'utf8');
    expect(result).toEqual({ impressions: 4 });
    expect(calls).toContain(`-f\n${document}\n`);
    expect(calls).toContain('OPERATION Print-Job');
    expect(calls).toContain('ATTR integer copies $copies');
    expect(calls).toContain('-d\ncopies=2\n');
    expect(calls).toContain('ATTR name job-name "$job_name"');
    expect(calls).toContain('-d\njob_name=Say "hi" (cloudprint J1)\n');
    expect(calls).toContain('ATTR integer job-id $engine_job');
    expect(calls).toContain('-d\nengine_job=7\n');
    expect(status).toEqual({ state: 'idle', reasons: [] });
  });

  it('a failing ipptool is a DeviceError with document-unprintable-error', async () => {
    // Prepare
    const { dir, document } = await spooled();
    const tool = join(dir, 'ipptool');
    await writeFile(tool, '#!/bin/sh\necho "client-error-document-format-not-supported"\nexit 1\n');
    await chmod(tool, 0o755);

    // Act
    const error = await ippDevice('ipp://127.0.0.1:631/ipp/print', { ipptool: tool })
      .print({ jobId: 'J1', printerId: 'P1', title: 'x', pages: 1, copies: 1, document })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DeviceError);
    expect(error).toMatchObject({ reason: 'document-unprintable-error' });
    expect(String((error as Error).message)).toContain('format-not-supported');
  });

  it('after a restart, finds the job by the cloud job id that ends its job-name (a title quoting another id does not match)', async () => {
    // Prepare: a printer whose Get-Jobs lists a decoy (job 3: J2's, its title quoting J1's marker),
    // J1 offered twice (jobs 1 and 2), and nothing of J9
    const { dir, document } = await spooled();
    const log = join(dir, 'calls.log');
    const tool = join(dir, 'ipptool');
    await writeFile(
      tool,
      '#!/bin/sh\n' +
        `for arg; do echo "$arg" >> ${log}; done\nfor last; do :; done\n` +
        'if grep -q "OPERATION Get-Jobs" "$last"; then\n' +
        "  printf '%s\\n' 'job-id,job-name' '3,\"Memo (cloudprint J1) (cloudprint J2)\"' " +
        '\'2,"Report, \\\\\\"v2\\\\\\" (cloudprint J1)"\' \'1,"Report (cloudprint J1)"\'\n' +
        'else\n  echo "job-state (enum) = completed"\nfi\n',
    );
    await chmod(tool, 0o755);
    const device = ippDevice('ipp://127.0.0.1:631/ipp/print', { ipptool: tool });
    const request = { jobId: 'J1', printerId: 'P1', title: 'Report', pages: 1, copies: 2, document };

    // Act
    const found = await device.follow(request);
    const absent = await device.follow({ ...request, jobId: 'J9' });

    // Assess: J1's newest job (2) followed to its end; J9 never reached the printer
    expect(found).toEqual({ impressions: 2 });
    expect(await readFile(log, 'utf8')).toContain('-d\nengine_job=2\n');
    expect(absent).toBeNull();
  });

  it('job-name: the title cut on a character boundary to fit name(255), the cloud job id last', () => {
    // Act
    const long = jobName({
      jobId: 'J1',
      printerId: 'P1',
      title: 'é'.repeat(300),
      pages: 1,
      copies: 1,
      document: '',
    });
    const lines = jobName({
      jobId: 'a/b',
      printerId: 'P1',
      title: 'one\ntwo',
      pages: 1,
      copies: 1,
      document: '',
    });

    // Assess
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(255);
    expect(long).toMatch(/^é+ \(cloudprint J1\)$/);
    expect(lines).toBe('one two (cloudprint a_b)');
  });
});
