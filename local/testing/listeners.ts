/**
 * The TCP sockets this process listens on, with their addresses, from /proc (Linux): its socket inodes
 * (/proc/self/fd) matched against the LISTEN rows of /proc/net/tcp and tcp6.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

const LISTEN = '0A';

/** `0100007F:1F90` → 127.0.0.1 and 8080; IPv6 as its 32 hex digits (`::` spelled out, per 32-bit word). */
function parseAddress(hex: string, v6: boolean): { address: string; port: number } {
  const [addr = '', port = '0'] = hex.split(':');
  if (!v6) {
    const bytes = (addr.match(/../g) ?? []).map((b) => Number.parseInt(b, 16)).reverse();
    return { address: bytes.join('.'), port: Number.parseInt(port, 16) };
  }
  if (addr === '0'.repeat(32)) return { address: '::', port: Number.parseInt(port, 16) };
  if (addr === `${'0'.repeat(24)}01000000`) return { address: '::1', port: Number.parseInt(port, 16) };
  return { address: addr, port: Number.parseInt(port, 16) };
}

export async function listeningAddresses(): Promise<Array<{ address: string; port: number }>> {
  const inodes = new Set<string>();
  for (const fd of await readdir('/proc/self/fd')) {
    const link = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(link);
    if (match?.[1]) inodes.add(match[1]);
  }
  const out: Array<{ address: string; port: number }> = [];
  for (const [file, v6] of [
    ['/proc/net/tcp', false],
    ['/proc/net/tcp6', true],
  ] as const) {
    const rows = (await readFile(file, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const row of rows) {
      const cols = row.trim().split(/\s+/);
      if (cols[3] !== LISTEN || !inodes.has(cols[9] ?? '')) continue;
      out.push(parseAddress(cols[1] ?? '', v6));
    }
  }
  return out;
}
