/**
 * A private CUPS scheduler for tests: its own config, spool and logs in a temp dir, listening on a free
 * loopback port, in the foreground (`cupsd -f`), stopped by the test. Needs root (cupsd drops to `lp`
 * for filters) and Debian's cups (cupsd, its filters) and cups-client (lpadmin, lp, lpstat).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, tempDir } from './processes.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);

export interface Cupsd {
  /** `127.0.0.1:<port>`, for `-h`. */
  server: string;
  dir: string;
  /** `lpadmin`, `lp`, `lpstat`, ... against this scheduler; rejects with its output on failure. */
  tool(command: string, args: string[]): Promise<string>;
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

export async function startCupsd(): Promise<Cupsd> {
  const dir = await tempDir('cupsd');
  await chmod(dir, 0o755);
  for (const sub of ['spool', 'cache', 'state', 'tmp', 'log', 'ppd']) await mkdir(join(dir, sub));
  const port = await freePort();
  const server = `127.0.0.1:${port}`;
  await writeFile(
    join(dir, 'cupsd.conf'),
    [
      `Listen ${server}`,
      'LogLevel debug',
      'WebInterface No',
      'Browsing No',
      'DefaultAuthType None',
      // CUPS retries a job its printer refused (not accepting) after JobRetryInterval seconds.
      'JobRetryInterval 2',
      '<Location />',
      '  Order allow,deny',
      '  Allow from 127.0.0.1',
      '</Location>',
      '<Policy default>',
      '  <Limit All>',
      '    Order deny,allow',
      '  </Limit>',
      '</Policy>',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'cups-files.conf'),
    [
      `ServerRoot ${dir}`,
      `RequestRoot ${join(dir, 'spool')}`,
      `CacheDir ${join(dir, 'cache')}`,
      `StateDir ${join(dir, 'state')}`,
      `TempDir ${join(dir, 'tmp')}`,
      `AccessLog ${join(dir, 'log', 'access_log')}`,
      `ErrorLog ${join(dir, 'log', 'error_log')}`,
      `PageLog ${join(dir, 'log', 'page_log')}`,
      'ServerBin /usr/lib/cups',
      'DataDir /usr/share/cups',
      'SystemGroup root',
      'FileDevice No',
      'Sandboxing Relaxed',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    'cupsd',
    ['-f', '-c', join(dir, 'cupsd.conf'), '-s', join(dir, 'cups-files.conf')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', (error) => {
      output += `cupsd: ${error.message}`;
      resolve();
    });
  });
  const tool = async (command: string, args: string[]) => {
    try {
      const { stdout, stderr } = await run(command, ['-h', server, ...args], { timeout: 60_000 });
      return stdout + stderr;
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `${command} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`,
      );
    }
  };
  const errorLog = () => readFile(join(dir, 'log', 'error_log'), 'utf8').catch(() => '');
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`cupsd exited:\n${output}\n${await errorLog()}`);
      return (await tool('lpstat', ['-r']).catch(() => '')).includes('is running') ? true : undefined;
    },
    { timeoutMs: 20_000, what: () => `cupsd on ${server}\n${output}` },
  );
  return {
    server,
    dir,
    tool,
    errorLog,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
