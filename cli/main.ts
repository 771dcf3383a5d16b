/**
 * The `cloudprint` terminal CLI: `npm run cloudprint -- <command> ...`.
 * Reads the API URL and key from flags, the environment (CLOUDPRINT_API_URL, CLOUDPRINT_KEY), or the
 * local cloud's .cloudprint/local.json.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.heic': 'image/heic',
  '.pdf': 'application/pdf',
};

const USAGE = `usage: npm run cloudprint -- <command> [options]
  printers                         list printers and whether they accept jobs
  print <printerId> <file>         submit a document (--title, --copies, --media, --fit, --color)
  job <printerId> <jobId>          show a job
  jobs <printerId>                 list a printer's jobs
  cancel <printerId> <jobId>       cancel a job
  claim <pin> [registrationId]     claim a printer by the PIN it shows (owner key)
  share <printerId>                create a share key for one printer (owner key)
  share-keys <printerId>           list a printer's share keys (owner key)
  revoke <printerId> <keyId>       revoke a share key (owner key)
options: --api URL  --key SECRET  (default: .cloudprint/local.json)`;

interface Target {
  api: string;
  key: string;
}

async function target(values: { api?: string; key?: string }): Promise<Target> {
  let api = values.api ?? process.env.CLOUDPRINT_API_URL;
  let key = values.key ?? process.env.CLOUDPRINT_KEY;
  if (!api || !key) {
    const local = JSON.parse(await readFile(resolve('.cloudprint/local.json'), 'utf8').catch(() => '{}')) as {
      apiUrl?: string;
      ownerKey?: string;
    };
    api ??= local.apiUrl;
    key ??= local.ownerKey;
  }
  if (!api || !key)
    throw new Error('no API URL or key: pass --api and --key, or start the local cloud (npm start)');
  return { api: api.replace(/\/$/, ''), key };
}

async function call(
  t: Target,
  method: string,
  path: string,
  body?: Uint8Array | string,
  contentType?: string,
) {
  const headers: Record<string, string> = { authorization: `Bearer ${t.key}` };
  if (contentType) headers['content-type'] = contentType;
  const res = await fetch(`${t.api}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: show as is
  }
  return { status: res.status, body: parsed };
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      api: { type: 'string' },
      key: { type: 'string' },
      title: { type: 'string' },
      copies: { type: 'string' },
      media: { type: 'string' },
      fit: { type: 'string' },
      color: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...args] = positionals;
  if (!command || values.help) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const t = await target(values);
  let answer: { status: number; body: unknown };
  switch (command) {
    case 'printers':
      answer = await call(t, 'GET', '/v1/printers');
      break;
    case 'print': {
      const [printerId, file] = args;
      if (!printerId || !file) throw new Error('print needs <printerId> <file>');
      const contentType = CONTENT_TYPES[extname(file).toLowerCase()];
      if (!contentType) throw new Error(`unsupported file type ${extname(file) || '(none)'}`);
      const query = new URLSearchParams({ title: values.title ?? basename(file) });
      for (const option of ['copies', 'media', 'fit', 'color'] as const) {
        const value = values[option];
        if (value) query.set(option, value);
      }
      const bytes = await readFile(file);
      answer = await call(
        t,
        'POST',
        `/v1/printers/${encodeURIComponent(printerId)}/jobs?${query}`,
        bytes,
        contentType,
      );
      break;
    }
    case 'job':
    case 'cancel': {
      const [printerId, jobId] = args;
      if (!printerId || !jobId) throw new Error(`${command} needs <printerId> <jobId>`);
      const path = `/v1/printers/${encodeURIComponent(printerId)}/jobs/${encodeURIComponent(jobId)}`;
      answer = await call(t, command === 'job' ? 'GET' : 'DELETE', path);
      break;
    }
    case 'jobs': {
      const [printerId] = args;
      if (!printerId) throw new Error('jobs needs <printerId>');
      answer = await call(t, 'GET', `/v1/printers/${encodeURIComponent(printerId)}/jobs`);
      break;
    }
    case 'claim': {
      const [pin, registrationId] = args;
      if (!pin) throw new Error('claim needs <pin>');
      const body = JSON.stringify(registrationId ? { pin, registrationId } : { pin });
      answer = await call(t, 'POST', '/v1/claims', body, 'application/json');
      break;
    }
    case 'share': {
      const [printerId] = args;
      if (!printerId) throw new Error('share needs <printerId>');
      answer = await call(t, 'POST', `/v1/printers/${encodeURIComponent(printerId)}/share-keys`);
      break;
    }
    case 'share-keys': {
      const [printerId] = args;
      if (!printerId) throw new Error('share-keys needs <printerId>');
      answer = await call(t, 'GET', `/v1/printers/${encodeURIComponent(printerId)}/share-keys`);
      break;
    }
    case 'revoke': {
      const [printerId, keyId] = args;
      if (!printerId || !keyId) throw new Error('revoke needs <printerId> <keyId>');
      const path = `/v1/printers/${encodeURIComponent(printerId)}/share-keys/${encodeURIComponent(keyId)}`;
      answer = await call(t, 'DELETE', path);
      break;
    }
    default:
      console.error(`unknown command ${command}\n${USAGE}`);
      return 2;
  }
  if (answer.status === 204) console.log('done');
  else console.log(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body, null, 2));
  return answer.status < 400 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`cloudprint: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(2);
    },
  );
}
