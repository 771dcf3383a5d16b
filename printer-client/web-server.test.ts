import { afterEach, describe, expect, it } from 'vitest';
import { harness, until } from './testing-fakes.ts';
import { startWebServer, type WebServer } from './web-server.ts';

const servers: WebServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function served(options: Parameters<typeof harness>[0] = {}) {
  const h = await harness(options);
  const web = await startWebServer(h.printer, 0);
  servers.push(web);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${web.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const form = async (path: string, fields: Record<string, string>) => {
    const res = await fetch(`${web.url}${path}`, { method: 'POST', body: new URLSearchParams(fields) });
    return { status: res.status, html: await res.text() };
  };
  const state = async () => (await (await fetch(`${web.url}/api/state`)).json()) as Record<string, unknown>;
  return { ...h, web, post, form, state };
}

describe('control API over HTTP (CONTRACT.md printer-client)', () => {
  it('GET /api/state has every contract field', async () => {
    // Prepare
    const s = await served();

    // Act
    const res = await fetch(`${s.web.url}/api/state`);
    const body = (await res.json()) as Record<string, unknown>;

    // Assess
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(body).toMatchObject({
      printerId: 'P1',
      registered: true,
      registration: null,
      service: 'disabled',
      connection: 'off',
      acceptingJobs: false,
      state: 'idle',
      reasons: [],
      supplies: { toner: 100, paper: 500, memoryMb: 64 },
      pendingStop: null,
      inquiry: false,
    });
  });

  it('POST /api/service enables and disables with a policy; the pending stop shows as an ISO time', async () => {
    // Prepare
    const s = await served();

    // Act
    const on = await s.post('/api/service', { enabled: true });
    await until(() => s.printer.snapshot().connection === 'connected', 'connected');
    const off = await s.post('/api/service', { enabled: false, stopAccepting: 'after', afterMinutes: 5 });

    // Assess
    expect(on).toMatchObject({ status: 200, body: { service: 'enabled' } });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({
      service: 'disabled',
      connection: 'off',
      pendingStop: { at: '2026-01-01T00:05:00.000Z' },
    });
  });

  it('ask, then POST /api/inquiry answers it; answering with no inquiry open is 409', async () => {
    // Prepare
    const s = await served();
    await s.post('/api/service', { enabled: true });

    // Act
    const asked = await s.post('/api/service', { enabled: false, stopAccepting: 'ask' });
    const answered = await s.post('/api/inquiry', { stopAccepting: true });
    const again = await s.post('/api/inquiry', { stopAccepting: true });

    // Assess
    expect(asked.body.inquiry).toBe(true);
    expect(answered).toMatchObject({
      status: 200,
      body: { inquiry: false, acceptingJobs: false, acceptingReason: 'paused' },
    });
    expect(again).toMatchObject({ status: 409, body: { error: 'no-inquiry' } });
  });

  it('POST /api/supplies and /api/status change the emulated printer', async () => {
    // Prepare
    const s = await served();

    // Act
    const supplies = await s.post('/api/supplies', { toner: 3, paper: 7 });
    const stopped = await s.post('/api/status', { state: 'stopped', reasons: ['cover-open'] });
    const cleared = await s.post('/api/status', { state: 'idle', reasons: [] });

    // Assess
    expect(supplies.body.supplies).toEqual({ toner: 3, paper: 7, memoryMb: 64 });
    expect(stopped.body).toMatchObject({ state: 'stopped', reasons: ['cover-open'] });
    expect(cleared.body).toMatchObject({ state: 'idle', reasons: [] });
  });

  it('refuses bad bodies with 400 and a message, unknown paths with 404, wrong methods with 405', async () => {
    // Prepare
    const s = await served();

    // Act
    const badPolicy = await s.post('/api/service', { enabled: false, stopAccepting: 'later' });
    const notJson = await fetch(`${s.web.url}/api/service`, { method: 'POST', body: '{' });
    const badToner = await s.post('/api/supplies', { toner: 101 });
    const missing = await fetch(`${s.web.url}/api/nothing`);
    const wrong = await fetch(`${s.web.url}/api/state`, { method: 'DELETE' });

    // Assess
    expect(badPolicy).toMatchObject({ status: 400, body: { error: 'bad-request' } });
    expect(String(badPolicy.body.message)).toContain('stopAccepting');
    expect(notJson.status).toBe(400);
    expect(badToner.status).toBe(400);
    expect(missing.status).toBe(404);
    expect(wrong.status).toBe(405);
    expect(s.printer.snapshot().service).toBe('disabled');
  });

  it('refuses a POST from another site', async () => {
    // Prepare
    const s = await served();

    // Act
    const res = await fetch(`${s.web.url}/api/service`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true }),
    });

    // Assess
    expect(res.status).toBe(403);
    expect(s.printer.snapshot().service).toBe('disabled');
  });
});

describe('pages (forms without JavaScript)', () => {
  it('the status page shows the PIN and claim URL while registering', async () => {
    // Prepare
    const s = await served({ registered: false });
    s.cloud.registrationAnswers = [{ status: 'pending' }];

    // Act
    const html = await (await fetch(`${s.web.url}/`)).text();

    // Assess
    expect(html).toContain('PIN1');
    expect(html).toContain('href="http://cloud.test/claim/reg-1"');
  });

  it('settings with the checkbox ticked and "right away": completion screen SC2, accepting stopped', async () => {
    // Prepare
    const s = await served();
    await s.post('/api/service', { enabled: true });
    await s.printer.outbox.idle();

    // Act
    const page = await s.form('/settings', {
      service: 'disabled',
      stopAccepting: 'yes',
      stopWhen: 'now',
      afterMinutes: '60',
    });
    await s.printer.outbox.idle();

    // Assess
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h1>Settings changed</h1>');
    expect(await s.state()).toMatchObject({
      service: 'disabled',
      acceptingJobs: false,
      settings: { stopAccepting: 'now' },
    });
    expect(s.cloud.lastAccepting()).toEqual({ acceptingJobs: false, reason: 'paused' });
  });

  it('settings with the checkbox unticked: never; "ask me": the inquiry screen SC4, answered by its form', async () => {
    // Prepare
    const s = await served();
    await s.post('/api/service', { enabled: true });

    // Act
    await s.form('/settings', { service: 'disabled', stopWhen: 'now' });
    const never = await s.state();
    await s.form('/settings', { service: 'enabled', stopWhen: 'now' });
    const asked = await s.form('/settings', { service: 'disabled', stopAccepting: 'yes', stopWhen: 'ask' });
    const answered = await s.form('/inquiry', { answer: 'no' });

    // Assess
    expect(never).toMatchObject({
      service: 'disabled',
      settings: { stopAccepting: 'never' },
      acceptingJobs: true,
    });
    expect(asked.html).toContain('Stop accepting print requests?');
    expect(answered.html).toContain('still accepted');
    expect(await s.state()).toMatchObject({
      inquiry: false,
      acceptingJobs: true,
      settings: { stopAccepting: 'ask' },
    });
  });

  it('every input on the settings page has a label', async () => {
    // Prepare
    const s = await served();

    // Act
    const html = await (await fetch(`${s.web.url}/settings`)).text();

    // Assess
    const ids = [...html.matchAll(/<input [^>]*id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThanOrEqual(6);
    for (const id of ids) expect(html).toContain(`<label for="${id}"`);
  });
});
