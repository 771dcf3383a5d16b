/**
 * The web app's files: web/ in the repository, or web/ beside the Lambda bundle (copied there by
 * infra/functions.ts APP_ASSET_HOOKS). Read once per warm Lambda and kept.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const TEXT = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.svg']);

/** The first of `candidates` that exists. */
function firstExisting(candidates: string[]): string | undefined {
  return candidates.find((path) => existsSync(path));
}

const here = fileURLToPath(new URL('.', import.meta.url));
/** Bundle: /var/task/web; repository: functions/app/../../web. */
const WEB_ROOT = firstExisting([join(here, 'web'), join(here, '..', '..', 'web')]);

/** Files served under /app/ that do not live in web/app. */
const EXTRA: Record<string, () => string | undefined> = {
  // the browser's QR encoder: qrcode-generator (MIT, no dependencies), as published
  'qrcode.mjs': () =>
    firstExisting([
      ...(WEB_ROOT ? [join(WEB_ROOT, 'vendor', 'qrcode.mjs')] : []),
      join(here, '..', '..', 'node_modules', 'qrcode-generator', 'dist', 'qrcode.mjs'),
    ]),
};

export interface Asset {
  type: string;
  /** Text as is, binary base64 (API Gateway's form). */
  body: string;
  base64: boolean;
}

const cache = new Map<string, Asset | null>();

/** `relative` under web/ (`index.html`, `app/app.js`), or undefined when there is no such file. */
export async function readAsset(relative: string): Promise<Asset | undefined> {
  const cached = cache.get(relative);
  if (cached !== undefined) return cached ?? undefined;
  const name = relative.startsWith('app/') ? relative.slice(4) : '';
  const path = EXTRA[name]?.() ?? (WEB_ROOT ? join(WEB_ROOT, relative) : undefined);
  const ext = extname(relative);
  let asset: Asset | null = null;
  if (path && TYPES[ext] && existsSync(path)) {
    const bytes = await readFile(path);
    const base64 = !TEXT.has(ext);
    asset = { type: TYPES[ext], body: bytes.toString(base64 ? 'base64' : 'utf8'), base64 };
  }
  cache.set(relative, asset);
  return asset ?? undefined;
}
