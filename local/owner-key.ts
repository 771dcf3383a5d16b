/** The local deployment's owner key: made once, kept in the data dir, handed to handlers only as a hash. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newSecret } from '../core/secrets.ts';

export async function loadOrCreateOwnerKey(dataDir: string): Promise<string> {
  const file = join(dataDir, 'owner-key');
  // wx: of two processes starting on one fresh dir, one writes and both read the same key
  await writeFile(file, `${newSecret()}\n`, { mode: 0o600, flag: 'wx' }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    },
  );
  const key = (await readFile(file, 'utf8')).trim();
  // 22 base64url characters are 128 bits: anything shorter is not a key this cloud made
  if (!/^[A-Za-z0-9_-]{22,}$/.test(key))
    throw new Error(`${file} does not hold an owner key (≥128 bits, base64url)`);
  return key;
}
