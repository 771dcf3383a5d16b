/**
 * The web app, served by the API itself rather than from S3: one origin for the page and the API
 * (no CORS for the app, the bearer secret never crosses origins), and the same URL locally and on AWS.
 * The files are static (web/); a handler costs one small Lambda invocation per file, revalidated by ETag.
 */
import { REASON_WORDS } from '../../core/reason-words.ts';
import { conditional, type HttpEvent, type HttpResult, html, httpHandler, json } from '../http.ts';
import { readAsset } from './assets.ts';

/** Kept off every page: the invite key lives in the fragment, and nothing leaves in a Referer. */
const PAGE_HEADERS = {
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // connect-src: presigned uploads go to the documents bucket, another origin
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' https: http://127.0.0.1:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
};

const NOT_FOUND_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>
<body><main><h1>Not found</h1><p><a href="/">Open cloudprint</a></p></main></body></html>`;

async function serve(
  event: HttpEvent,
  relative: string,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const asset = await readAsset(relative);
  if (!asset) return html(404, NOT_FOUND_PAGE, PAGE_HEADERS);
  return conditional(event, {
    statusCode: 200,
    headers: { 'content-type': asset.type, ...PAGE_HEADERS, ...headers },
    body: asset.body,
    isBase64Encoded: asset.base64,
  });
}

export const handler = httpHandler<'app'>({
  'GET /': async (event) => serve(event, 'index.html'),

  'GET /manifest.webmanifest': async (event) => serve(event, 'manifest.webmanifest'),

  // at the root, so its scope is the whole app (the share target included)
  'GET /sw.js': async (event) => serve(event, 'sw.js'),

  'GET /app/{asset}': async (event) => {
    const name = event.pathParameters?.asset ?? '';
    if (name === 'reasons.json') return conditional(event, json(200, REASON_WORDS, PAGE_HEADERS));
    // one flat folder: no dots-only names, no separators
    if (!/^[a-z0-9][a-z0-9-]*\.[a-z]+$/.test(name)) return html(404, NOT_FOUND_PAGE, PAGE_HEADERS);
    return serve(event, `app/${name}`);
  },

  // The service worker answers the share sheet's POST in the browser (the files stay on the phone
  // until the person signed in presses Print). This runs only when no service worker is installed
  // yet: a share carries no bearer secret, so the cloud cannot print it for anyone.
  'POST /share': async () =>
    html(
      200,
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Open cloudprint first</title></head><body><main><h1>Open cloudprint first</h1>
<p>To print what you shared, open <a href="/">cloudprint</a> once and sign in, then share again.</p></main></body></html>`,
      PAGE_HEADERS,
    ),
});
