/**
 * `npm run smoke` against the local cloud, as CI runs it: the command (its own process) registers a virtual
 * printer, prints through REST, an upload and IPP (Content-Length and chunked), checks a refusal and cleans up;
 * every row passes and it exits 0. Against a cloud that is not there it fails with exit code 1.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Terminal } from './support/api.ts';
import { type CloudProc, freePort, REPO, startCloud } from './support/processes.ts';

function runSmoke(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/smoke.ts'), ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

describe('npm run smoke against the local cloud', () => {
  let cloud: CloudProc;

  beforeAll(async () => {
    cloud = await startCloud();
  }, 60_000);

  afterAll(async () => {
    await cloud?.stop();
  });

  it('passes every check, exits 0, and leaves the printer not accepting with its share key revoked', async () => {
    // Act
    const run = await runSmoke([
      '--api',
      cloud.local.apiUrl,
      '--key',
      cloud.local.ownerKey,
      '--printer-id',
      'SMOKE1',
    ]);

    // Assess
    expect(run.code, `${run.out}\n${run.err}`).toBe(0);
    const rows = run.out.split('\n').filter((l) => / {2}(PASS|FAIL) {2}/.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(rows.filter((r) => r.includes('FAIL'))).toEqual([]);
    for (const name of [
      'refused (503)',
      'a direct body prints',
      'an upload prints',
      'Content-Length prints',
      'chunked body prints',
      'clean-up',
    ]) {
      expect(run.out).toContain(name);
    }
    const owner = new Terminal(cloud.local.apiUrl, cloud.local.ownerKey);
    const printer = await owner.printer('SMOKE1');
    expect(printer?.acceptingJobs).toBe(false);
    const keys = await owner.request<{ shareKeys: unknown[] }>('GET', '/v1/printers/SMOKE1/share-keys');
    expect(keys.body.shareKeys).toEqual([]);
    const jobs = await owner.jobs('SMOKE1');
    expect(jobs.body.jobs.map((j) => j.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
    console.info(run.out);
  }, 120_000);

  it('fails with exit code 1 and a FAIL row when the API is not there', async () => {
    // Prepare
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    // Act
    const run = await runSmoke(['--api', nowhere, '--key', 'x']);
    // Assess
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/the API answers \/v1\/config\s+FAIL/);
  }, 30_000);
});
