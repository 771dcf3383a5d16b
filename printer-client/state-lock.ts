/**
 * One printer-client per state dir: two processes on the same journal would take and print the
 * same jobs twice. `<state-dir>/state.lock` holds the owner's PID, created exclusively; a lock left
 * by a process that is gone (crash, kill -9) is taken over. Released on a clean stop.
 */
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const LOCK_FILE = 'state.lock';

export class StateDirLocked extends Error {
  readonly pid: number;

  constructor(dir: string, pid: number) {
    super(
      `the state dir ${dir} is in use by another printer-client (PID ${pid}): stop it, or give this one ` +
        `its own --state-dir (if PID ${pid} is not a printer-client, delete ${join(dir, LOCK_FILE)})`,
    );
    this.name = 'StateDirLocked';
    this.pid = pid;
  }
}

export interface StateLock {
  readonly file: string;
  /** Removes the lock file if it is still ours. */
  release(): Promise<void>;
}

/** Takes the state dir for this process, or throws StateDirLocked naming the live holder. */
export async function lockStateDir(dir: string, pid = process.pid): Promise<StateLock> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  // Written first, then linked into place: link fails if the lock exists, and a lock is never seen empty.
  const mine = join(dir, `${LOCK_FILE}.${pid}.new`);
  await writeFile(mine, `${pid}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(mine, file);
        return { file, release: () => release(file, pid) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await readPid(file);
      // Our own PID in the lock is a lock left before a restart that reused it (a container's PID 1).
      if (holder !== null && holder !== pid && alive(holder)) throw new StateDirLocked(dir, holder);
      await takeOver(dir, file, holder);
    }
    throw new Error(`could not take the lock ${file}: other processes keep taking it`);
  } finally {
    await unlink(mine).catch(() => undefined);
  }
}

/**
 * Moves a stale lock aside (rename is atomic, so of two processes taking it over only one moves
 * it) and checks what was moved: if it was a live process's fresh lock after all, it goes back.
 */
async function takeOver(dir: string, file: string, stale: number | null): Promise<void> {
  const aside = join(dir, `${LOCK_FILE}.${process.pid}.stale`);
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else moved it
    throw error;
  }
  const moved = await readPid(aside);
  if (moved !== stale && moved !== null && alive(moved)) {
    await link(aside, file).catch(() => undefined); // put it back unless a newer lock is there
  }
  await unlink(aside).catch(() => undefined);
}

async function release(file: string, pid: number): Promise<void> {
  if ((await readPid(file)) === pid) await unlink(file).catch(() => undefined);
}

async function readPid(file: string): Promise<number | null> {
  try {
    const pid = Number.parseInt(await readFile(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
