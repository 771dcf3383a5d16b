/** `npm start` options: flags first, then CLOUDPRINT_* environment, then the defaults of cloud.ts. */
import { parseArgs } from 'node:util';
import type { LocalCloudOptions } from './cloud.ts';

function number(
  name: string,
  raw: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function optionsFrom(argv: string[], env: NodeJS.ProcessEnv): LocalCloudOptions & { help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      'api-port': { type: 'string' },
      'ws-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  return {
    help: values.help === true,
    dataDir: values['data-dir'] ?? (env.CLOUDPRINT_DATA_DIR || undefined),
    apiPort: number('--api-port', values['api-port'] ?? env.CLOUDPRINT_API_PORT, 0, 65535),
    wsPort: number('--ws-port', values['ws-port'] ?? env.CLOUDPRINT_WS_PORT, 0, 65535),
    wsIdleMs: number('CLOUDPRINT_WS_IDLE_MS', env.CLOUDPRINT_WS_IDLE_MS, 1),
    wsMaxMs: number('CLOUDPRINT_WS_MAX_MS', env.CLOUDPRINT_WS_MAX_MS, 1),
    pollIntervalSeconds: number('CLOUDPRINT_POLL_INTERVAL_SECONDS', env.CLOUDPRINT_POLL_INTERVAL_SECONDS, 1),
    leaseSeconds: number('CLOUDPRINT_LEASE_SECONDS', env.CLOUDPRINT_LEASE_SECONDS, 1),
  };
}
