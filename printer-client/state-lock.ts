/**
 * One printer-client per state dir: two processes on the same journal would take and print the
 * same jobs twice. The lock is a listening unix-domain socket named after the state dir, so the
 * kernel releases it the moment its holder dies (crash, kill -9, power cut): nothing stale is left
 * behind, and no PID is trusted (after a reboot or a PID wrap an unrelated process may hold the PID
 * an old lock file names). Node binds sockets without native addons; flock(2) it cannot do.
 *
 * - Linux: an abstract socket (`\0cloudprint/state-lock/<dev>:<inode>` of the state dir). Binding is
 *   atomic and the name vanishes with its holder, so there is no take-over and no race. The name is
 *   the dir's identity, not its path, so a symlinked or bind-mounted path finds the same lock. Its
 *   scope is the network namespace: two containers sharing the dir but not the network do not see
 *   each other (give each its own state dir).
 * - Elsewhere: a socket file `<state-dir>/state.lock.sock`. One nobody answers on is a dead holder's
 *   and is replaced; of two processes replacing it at the same moment both could win (best effort).
 *
 * The holder answers whoever connects with its PID, so a refused second process can name it.
 */

import { mkdir, stat, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';

/** What older versions left: a PID file. Never trusted; removed once the lock is ours. */
export const LEGACY_LOCK_FILE = 'state.lock';
export const SOCKET_FILE = 'state.lock.sock';

export class StateDirLocked extends Error {
  readonly pid: number | null;

  constructor(dir: string, pid: number | null) {
    const who = pid === null ? 'a process that does not say its PID' : `PID ${pid}`;
    super(
      `the state dir ${dir} is in use by another printer-client (${who}): stop it, or give this one its own --state-dir`,
    );
    this.name = 'StateDirLocked';
    this.pid = pid;
  }
}

export interface StateLock {
  /** The socket's address (an abstract name starts with NUL). */
  readonly address: string;
  /** Frees the state dir (the kernel does it anyway when the process ends). */
  release(): Promise<void>;
}

export interface LockOptions {
  /** The PID the holder tells (tests). */
  pid?: number;
  /** 'abstract' (Linux, the default there) or 'file' (the default elsewhere). */
  kind?: 'abstract' | 'file';
}

/** Takes the state dir for this process, or throws StateDirLocked naming the live holder. */
export async function lockStateDir(dir: string, options: LockOptions = {}): Promise<StateLock> {
  const pid = options.pid ?? process.pid;
  const kind = options.kind ?? (process.platform === 'linux' ? 'abstract' : 'file');
  await mkdir(dir, { recursive: true });
  const address = kind === 'abstract' ? await abstractName(dir) : join(dir, SOCKET_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = await bind(address, pid);
    if (server) {
      await unlink(join(dir, LEGACY_LOCK_FILE)).catch(() => undefined);
      return { address, release: () => release(server) };
    }
    const holder = await ask(address);
    if (holder.alive) throw new StateDirLocked(dir, holder.pid);
    // Only a socket file can outlive its holder: nobody listens on it, so it is replaced.
    if (kind === 'abstract') continue;
    await unlink(address).catch(() => undefined);
  }
  throw new Error(`could not take the lock on ${dir}: other processes keep taking it`);
}

/** The abstract socket name for a dir: its device and inode, which every path to it shares. */
async function abstractName(dir: string): Promise<string> {
  const { dev, ino } = await stat(dir, { bigint: true });
  return `\0cloudprint/state-lock/${dev}:${ino}`;
}

/** Listens on `address`; null when it is taken. */
function bind(address: string, pid: number): Promise<Server | null> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end(`${JSON.stringify({ app: 'cloudprint printer-client', pid })}\n`);
    });
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(null);
      else reject(error);
    });
    server.listen(address, () => {
      // The lock alone must not keep a stopping process alive.
      server.unref();
      resolve(server);
    });
  });
}

/** Asks whoever holds `address` for its PID. Refused or absent: nobody holds it. */
function ask(address: string): Promise<{ alive: boolean; pid: number | null }> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = createConnection(address);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      let pid: number | null = null;
      try {
        const told = (JSON.parse(answer) as { pid?: unknown }).pid;
        if (typeof told === 'number' && Number.isInteger(told)) pid = told;
      } catch {
        // a holder that says nothing useful is still a holder
      }
      resolve({ alive, pid });
    };
    // A holder that accepts but never answers is alive all the same.
    const timer = setTimeout(() => done(true), 2_000);
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
    });
    socket.once('end', () => done(true));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      done(!(error.code === 'ECONNREFUSED' || error.code === 'ENOENT'));
    });
  });
}

async function release(server: Server): Promise<void> {
  if (!server.listening) return;
  // Closing a listening socket file also removes the file (libuv unlinks it).
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
