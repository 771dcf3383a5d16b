import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockStateDir, StateDirLocked } from './state-lock.ts';

const children: Array<() => void> = [];
afterEach(() => {
  for (const kill of children.splice(0)) kill();
});

/** A live process that is not this one. */
function liveProcess(): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  children.push(() => child.kill('SIGKILL'));
  return child.pid ?? 0;
}

/** The PID of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 0;
}

async function stateDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'cloudprint-lock-'));
}

describe('state dir lock', () => {
  it('takes a free state dir with its PID, and releasing it frees the dir', async () => {
    // Prepare
    const dir = await stateDir();

    // Act
    const lock = await lockStateDir(dir, 4242);

    // Assess
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe('4242\n');
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a state dir held by a live process, naming its PID, and leaves its lock alone', async () => {
    // Prepare
    const dir = await stateDir();
    const holder = liveProcess();
    await lockStateDir(dir, holder);

    // Act
    const error = await lockStateDir(dir).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(StateDirLocked);
    expect(String((error as Error).message)).toContain(`in use by another printer-client (PID ${holder})`);
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${holder}\n`);
    expect(await readdir(dir)).toEqual([LOCK_FILE]);
  });

  it('takes over a stale lock: a dead PID, an unreadable file, or its own PID from before a restart', async () => {
    for (const stale of [`${await deadPid()}\n`, 'garbage', `${process.pid}\n`]) {
      // Prepare
      const dir = await stateDir();
      await writeFile(join(dir, LOCK_FILE), stale);

      // Act
      const lock = await lockStateDir(dir);

      // Assess
      expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
      expect(await readdir(dir)).toEqual([LOCK_FILE]);
      await lock.release();
    }
  });

  it('of two processes racing for a stale lock, one wins', async () => {
    // Prepare
    const dir = await stateDir();
    await writeFile(join(dir, LOCK_FILE), `${await deadPid()}\n`);
    const [a, b] = [liveProcess(), liveProcess()];

    // Act
    const results = await Promise.allSettled([lockStateDir(dir, a), lockStateDir(dir, b)]);

    // Assess
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const winner = results[0]?.status === 'fulfilled' ? a : b;
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${winner}\n`);
    expect(await readdir(dir)).toEqual([LOCK_FILE]);
  });

  it('release leaves a lock that is no longer its own', async () => {
    // Prepare
    const dir = await stateDir();
    const lock = await lockStateDir(dir, await deadPid());
    const other = liveProcess();
    await lockStateDir(dir, other);

    // Act
    await lock.release();

    // Assess
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${other}\n`);
  });
});
