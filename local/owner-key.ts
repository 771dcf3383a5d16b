/** The local deployment's owner key: made once, kept in the data dir, handed to handlers only as a hash. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newSecret } from '../core/secrets.ts';

export async function loadOrCreateOwnerKey(dataDir: string): Promise<string> {
  const file = join(dataDir, 'owner-key');
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= 22) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // wx: of two processes starting on one fresh dir, one writes and both read the same key
  await writeFile(file, `${newSecret()}\n`, { mode: 0o600, flag: 'wx' }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    },
  );
  return (await readFile(file, 'utf8')).trim();
}
