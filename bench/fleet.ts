/**
 * Helpers for the goal-5 benches: printers seeded straight into the local cloud's DynamoDB (the PIN flow
 * for thousands of printers would measure registration instead), the cloud process's memory, a pool.
 */

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { awsPorts } from '../adapters/ports.ts';
import { hashSecret } from '../core/secrets.ts';
import { TABLES } from '../core/tables.ts';
import { LOCAL_CREDENTIALS } from '../local/names.ts';
import type { LocalJson } from '../test/support/processes.ts';

export interface SeededPrinter {
  printerId: string;
  token: string;
}

export async function rssMiB(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

export async function pool<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** Registers `count` accepting printers, each with its own access token, in the cloud's tables. */
export async function seedPrinters(
  local: LocalJson,
  count: number,
  prefix: string,
): Promise<SeededPrinter[]> {
  const l = local as LocalJson & { region: string; dynamodbEndpoint: string; tables: Record<string, string> };
  // This process writes to the cloud's DynamoDB with the same adapters the handlers use.
  Object.assign(process.env, {
    AWS_REGION: l.region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: l.dynamodbEndpoint,
    ...Object.fromEntries(TABLES.map((t) => [t.env, l.tables[t.name] ?? ''])),
  });
  const ports = awsPorts();
  const printers = Array.from({ length: count }, (_, i) => ({
    printerId: `${prefix}-${i}`,
    token: randomBytes(24).toString('base64url'),
  }));
  await pool(printers, 32, async ({ printerId, token }) => {
    const at = new Date().toISOString();
    const tokenHash = hashSecret(token);
    await ports.credentials.put({ secretHash: tokenHash, kind: 'access', printerId, createdAt: at });
    await ports.printers.register({ printerId, name: printerId, capabilities: {}, tokenHash, at });
    await ports.printers.setAccepting(printerId, {
      acceptingJobs: true,
      reason: null,
      setBy: 'printer',
      at,
      seen: true,
    });
  });
  return printers;
}
