import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { REASON_WORDS } from '../core/reason-words.ts';
import { HTTP_ROUTES } from './routes.ts';
import { call, httpEvent, lambdaContext } from './testing/cloud.ts';

type Handler = Parameters<typeof call>[0];
let app: Handler;

beforeAll(async () => {
  app = (await import('./app/handler.ts')).handler;
});

const asset = (name: string, headers: Record<string, string> = {}) =>
  call(app, httpEvent('GET /app/{asset}', { pathParameters: { asset: name }, headers }));

describe('the web app at the root', () => {
  it('serves the page with no-referrer, a strict CSP and an ETag, and 304 when unchanged', async () => {
    // Act
    const page = await call(app, httpEvent('GET /'));
    const again = await call(
      app,
      httpEvent('GET /', { headers: { 'if-none-match': String(page.headers.etag) } }),
    );

    // Assess
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).toContain('<script type="module" src="app/app.js"></script>');
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it('serves the scripts, the QR encoder from its npm package, and PNG icons as base64', async () => {
    // Act
    const script = await asset('app.js');
    const qr = await asset('qrcode.mjs');
    const icon = (await app(
      httpEvent('GET /app/{asset}', { pathParameters: { asset: 'icon-512.png' } }) as never,
      lambdaContext,
    )) as {
      body: string;
      isBase64Encoded: boolean;
      headers: Record<string, string>;
    };

    // Assess
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.text).toContain("from './api.js'");
    expect(qr.text).toContain('export default qrcode');
    expect(icon.isBase64Encoded).toBe(true);
    expect(icon.headers['content-type']).toBe('image/png');
    const meta = await sharp(Buffer.from(icon.body, 'base64')).metadata();
    expect([meta.width, meta.height]).toEqual([512, 512]);
  });

  it('serves the reason words from their one home', async () => {
    // Act
    const words = await asset('reasons.json');
    // Assess
    expect(words.body).toEqual(REASON_WORDS);
  });

  it('answers unknown or escaping asset names with an HTML 404, never a file outside web/app', async () => {
    // Act
    const answers = await Promise.all(
      ['../package.json', '..', 'nothing.js', 'app.ts', '.env'].map((n) => asset(n)),
    );
    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.text).not.toContain('"name": "cloudprint"');
    }
  });

  it('has a manifest whose share target and icons are routes the cloud serves', async () => {
    // Act
    const answer = await call(app, httpEvent('GET /manifest.webmanifest'));
    const manifest = JSON.parse(answer.text) as {
      share_target: { action: string; method: string; enctype: string };
      icons: Array<{ src: string }>;
      start_url: string;
    };
    const icons = await Promise.all(manifest.icons.map((i) => asset(i.src.replace(/^app\//, ''))));

    // Assess
    expect(answer.headers['content-type']).toBe('application/manifest+json; charset=utf-8');
    expect(manifest.share_target).toMatchObject({
      action: 'share',
      method: 'POST',
      enctype: 'multipart/form-data',
    });
    expect(HTTP_ROUTES).toContainEqual({ method: 'POST', path: '/share', fn: 'app' });
    expect(icons.map((i) => i.status)).toEqual(manifest.icons.map(() => 200));
  });

  it('serves the service worker at the root so its scope is the whole app', async () => {
    // Act
    const worker = await call(app, httpEvent('GET /sw.js'));
    // Assess
    expect(worker.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(worker.text).toContain("addEventListener('fetch'");
  });

  it('answers a share that no service worker caught with a page, printing nothing for nobody', async () => {
    // Act
    const answer = await call(
      app,
      httpEvent('POST /share', {
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
        body: new Uint8Array([1, 2, 3]),
      }),
    );
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.text).toMatch(/open .*cloudprint.* once and sign in/);
  });
});
