/**
 * The anchors the cloud is measured against, started by the bench itself: CUPS's ippeveprinter (a real
 * IPP printer, "printing" with /bin/true), printed to directly with ipptool, and a private cupsd with a
 * queue in front of the same printer. ippeveprinter needs a D-Bus bus even with DNS-SD off: it gets a
 * private one.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function installed(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

interface Child {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Child {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const add = (d: Buffer) => {
    output += d.toString();
    if (output.length > 100_000) output = output.slice(-50_000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export function run(
  command: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('error', (error) => resolve({ code: -1, output: error.message }));
    child.once('close', (code) => resolve({ code, output }));
  });
}

async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Print-Job, then Get-Job-Attributes every 5 ms until the job is finished: "printed" as the printer says it. */
const PRINT_AND_WAIT = `{
  NAME "Print-Job"
  OPERATION Print-Job
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR language attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name bench
  ATTR mimeMediaType document-format $format
  FILE $filename
  STATUS successful-ok
  EXPECT job-id
}
{
  NAME "Wait for the job"
  OPERATION Get-Job-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR language attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR integer job-id $job-id
  STATUS successful-ok
  DELAY "0,0.005"
  EXPECT job-state WITH-VALUE 9 REPEAT-NO-MATCH REPEAT-LIMIT 6000
}
`;

export interface IppPrinter {
  uri: string;
  dir: string;
  /** ipptool straight to the printer: Print-Job and wait for completed. Resolves with ms, throws on failure. */
  printDirect: (file: string, format: string) => Promise<number>;
  stop: () => Promise<void>;
}

export async function startIppPrinter(name = 'cloudprint-bench'): Promise<IppPrinter> {
  const dir = await mkdtemp(join(tmpdir(), 'cloudprint-bench-ipp-'));
  const spool = join(dir, 'spool');
  await mkdir(spool);
  const bus = `unix:path=${join(dir, 'bus')}`;
  const dbus = start('dbus-daemon', ['--session', `--address=${bus}`, '--nofork', '--print-address']);
  await until(() => dbus.output().includes(bus), 'dbus-daemon');
  const port = await freePort();
  const printer = start(
    'ippeveprinter',
    [
      ...['-r', 'off', '-n', 'localhost', '-p', String(port), '-d', spool],
      ...['-f', 'application/pdf,image/jpeg', '-c', '/bin/true', name],
    ],
    { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus },
  );
  const uri = `ipp://localhost:${port}/ipp/print`;
  const testFile = join(dir, 'print-and-wait.test');
  await writeFile(testFile, PRINT_AND_WAIT);
  const stop = async () => {
    await printer.stop();
    await dbus.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await until(
      async () => (await run('ipptool', ['-T', '2', uri, 'get-printer-attributes.test'])).code === 0,
      `ippeveprinter on ${uri}\n${printer.output()}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    uri,
    dir,
    stop,
    printDirect: async (file, format) => {
      const t0 = performance.now();
      const { code, output } = await run('ipptool', [
        '-T',
        '30',
        '-f',
        file,
        '-d',
        `format=${format}`,
        uri,
        testFile,
      ]);
      if (code !== 0) throw new Error(`ipptool direct print failed (${code}): ${output.slice(-500)}`);
      return performance.now() - t0;
    },
  };
}

export interface CupsQueue {
  /** lp to the queue, then wait for the job to leave the queue completed. */
  print: (file: string) => Promise<number>;
  stop: () => Promise<void>;
}

/** A private cupsd (own config, spool and port) with a raw queue to `printerUri`; null with the reason when it cannot run. */
export async function startCupsQueue(printerUri: string): Promise<CupsQueue | string> {
  if (!installed('cupsd') || !installed('lpadmin') || !installed('lp'))
    return 'cupsd / lpadmin / lp not installed';
  const dir = await mkdtemp(join(tmpdir(), 'cloudprint-bench-cups-'));
  const port = await freePort();
  for (const sub of ['spool', 'spool/tmp', 'cache', 'log', 'state', 'ppd', 'ssl'])
    await mkdir(join(dir, sub), { recursive: true });
  await writeFile(
    join(dir, 'cupsd.conf'),
    `Listen 127.0.0.1:${port}
Listen ${join(dir, 'cups.sock')}
LogLevel warn
WebInterface No
Browsing Off
DefaultAuthType None
<Location />
  Order allow,deny
  Allow all
</Location>
<Location /admin>
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
`,
  );
  await writeFile(
    join(dir, 'cups-files.conf'),
    `ServerRoot ${dir}
RequestRoot ${join(dir, 'spool')}
TempDir ${join(dir, 'spool/tmp')}
CacheDir ${join(dir, 'cache')}
StateDir ${join(dir, 'state')}
AccessLog ${join(dir, 'log/access_log')}
ErrorLog ${join(dir, 'log/error_log')}
PageLog ${join(dir, 'log/page_log')}
FileDevice Yes
Sandboxing Relaxed
`,
  );
  const cupsd = start('cupsd', ['-f', '-c', join(dir, 'cupsd.conf'), '-s', join(dir, 'cups-files.conf')]);
  const server = `127.0.0.1:${port}`;
  const env = { CUPS_SERVER: server };
  const stop = async () => {
    await cupsd.stop();
    await rm(dir, { recursive: true, force: true });
  };
  const withEnv = (command: string, args: string[]) =>
    run('env', [`CUPS_SERVER=${env.CUPS_SERVER}`, command, ...args]);
  try {
    await until(
      async () => (await withEnv('lpstat', ['-r'])).output.includes('is running'),
      `cupsd\n${cupsd.output()}`,
    );
    const added = await withEnv('lpadmin', ['-p', 'bench', '-E', '-v', printerUri, '-m', 'everywhere']);
    if (added.code !== 0) throw new Error(`lpadmin: ${added.output}`);
  } catch (error) {
    await stop();
    return `private cupsd did not start: ${error instanceof Error ? error.message.slice(0, 300) : error}`;
  }
  const waitFile = join(dir, 'wait.test');
  await writeFile(waitFile, WAIT_FOR_JOB);
  const queueUri = `ipp://${server}/printers/bench`;
  return {
    stop,
    print: async (file) => {
      const t0 = performance.now();
      const sent = await withEnv('lp', ['-d', 'bench', file]);
      const id = /request id is bench-(\d+)/.exec(sent.output)?.[1];
      if (!id) throw new Error(`lp failed: ${sent.output}`);
      // completed as CUPS says it: sent to the printer and finished there (aborted fails the bench)
      const waited = await run('ipptool', ['-T', '60', '-d', `job_id=${id}`, queueUri, waitFile], 90_000);
      if (waited.code !== 0) throw new Error(`CUPS job ${id} did not complete: ${waited.output.slice(-400)}`);
      return performance.now() - t0;
    },
  };
}

const WAIT_FOR_JOB = `{
  NAME "Wait for the job"
  OPERATION Get-Job-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR language attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR integer job-id $job_id
  STATUS successful-ok
  DELAY "0,0.01"
  EXPECT job-state WITH-VALUE 9 REPEAT-NO-MATCH REPEAT-LIMIT 6000
}
`;
