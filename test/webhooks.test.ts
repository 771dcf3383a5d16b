/**
 * Webhooks through the local cloud (the real handlers, in-process): the owner registers loopback
 * receivers over REST, a printer (driven through its REST routes) completes a job and stops accepting,
 * and the receivers get signed events from functions/webhook-delivery, started by the delivery item
 * as the DynamoDB stream starts it on AWS. A failing receiver is retried with backoff; the delivery
 * log shows every attempt.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as cli } from '../cli/main.ts';
import { verifyWebhookSignature } from '../core/webhook-signature.ts';
import { type LocalCloud, startLocalCloud } from '../local/cloud.ts';
import type { Logger } from '../local/log.ts';
import { makeJpeg } from './support/flows.ts';
import { freePort, tempDir } from './support/processes.ts';
import { waitFor } from './support/wait.ts';

const quiet: Logger = { info: () => {}, error: () => {} };
const RETRY_BASE_MS = 20;
const SWEEP_MS = 250;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A receiver on 127.0.0.1 answering each request with the next status of `statuses` (the last one repeats). */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      res.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, server };
}

describe('webhooks on the local cloud', () => {
  let cloud: LocalCloud;
  let accessToken: string;
  const printerId = 'WH1';
  const servers: Server[] = [];

  async function api(method: string, path: string, options: { token?: string; body?: unknown } = {}) {
    const headers: Record<string, string> = { authorization: `Bearer ${options.token ?? cloud.ownerKey}` };
    let body: string | Uint8Array | undefined;
    if (options.body instanceof Uint8Array) {
      body = options.body;
      headers['content-type'] = 'image/jpeg';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${cloud.apiUrl}${path}`, { method, headers, body });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: the test reads JSON answers field by field
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
  }

  async function subscribe(url: string, events?: string[]) {
    const created = await api('POST', '/v1/webhooks', { body: events ? { url, events } : { url } });
    expect(created.status).toBe(201);
    return created.body as { webhookId: string; secret: string };
  }

  beforeAll(async () => {
    cloud = await startLocalCloud({
      dataDir: await tempDir('webhooks'),
      apiPort: 0,
      wsPort: 0,
      webhookSweepMs: SWEEP_MS,
      env: { WEBHOOK_RETRY_BASE_MS: String(RETRY_BASE_MS), POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
      logger: quiet,
    });
    const started = await api('POST', '/v1/registrations', { body: { printerId } });
    const { registrationId, pin, pollToken } = started.body;
    expect((await api('POST', '/v1/claims', { body: { registrationId, pin } })).status).toBe(200);
    const polled = await api('GET', `/v1/registrations/${registrationId}`, { token: pollToken });
    accessToken = polled.body.accessToken;
    const accepting = await api('PUT', `/v1/printers/${printerId}/accepting-jobs`, {
      token: accessToken,
      body: { acceptingJobs: true },
    });
    expect(accepting.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    for (const server of servers) server.close();
    await cloud?.stop();
  });

  it('delivers a correctly signed job.completed event to a loopback receiver', async () => {
    // Prepare
    const hook = await receiver([200]);
    servers.push(hook.server);
    const { webhookId, secret } = await subscribe(hook.url, ['job.completed']);
    const submitted = await api('POST', `/v1/printers/${printerId}/jobs`, { body: await makeJpeg(64, 48) });
    const { jobId } = submitted.body;
    expect(
      (await api('POST', `/v1/printers/${printerId}/jobs/${jobId}/fetch`, { token: accessToken })).status,
    ).toBe(200);

    // Act
    const completing = Date.now();
    const completed = await api('PUT', `/v1/printers/${printerId}/jobs/${jobId}/state`, {
      token: accessToken,
      body: { state: 'completed', impressions: 1 },
    });
    await waitFor(async () => (hook.received.length > 0 ? true : undefined), {
      what: 'the job.completed event',
    });

    // Assess
    expect(completed.status).toBe(200);
    const [got] = hook.received;
    console.info(
      `webhook: job.completed received ${(got?.at ?? 0) - completing} ms after the printer's report`,
    );
    const header = got?.headers['cloudprint-signature'] as string;
    expect(verifyWebhookSignature({ payload: got?.body ?? '', header, secret })).toBe(true);
    const event = JSON.parse(got?.body ?? '{}');
    expect(event).toMatchObject({
      type: 'job.completed',
      data: { job: { jobId, printerId, state: 'completed' } },
    });
    expect(event.id).toMatch(/^evt_/);
    expect(got?.headers['cloudprint-event']).toBe('job.completed');
    // a forged body under the same header, and the right body under another secret, are both refused
    const forged = got?.body.replace('"completed"', '"aborted"') ?? '';
    expect(verifyWebhookSignature({ payload: forged, header, secret })).toBe(false);
    expect(verifyWebhookSignature({ payload: got?.body ?? '', header, secret: 'whsec_guess' })).toBe(false);
    const log = await waitFor(
      async () => {
        const answer = await api('GET', `/v1/webhooks/${webhookId}/deliveries`);
        return answer.body.deliveries?.[0]?.status === 'delivered' ? answer.body.deliveries : undefined;
      },
      { what: 'the delivery to be logged' },
    );
    expect(log[0]).toMatchObject({ eventId: event.id, type: 'job.completed', attempts: [{ status: 200 }] });
    await api('DELETE', `/v1/webhooks/${webhookId}`);
  });

  it('retries a failing receiver with backoff and logs every attempt; the sweep retries an unreachable one later', async () => {
    // Prepare
    const flaky = await receiver([500, 503, 204]);
    servers.push(flaky.server);
    const flakyHook = await subscribe(flaky.url, ['printer.stopped-accepting']);
    const deadHook = await subscribe(`http://127.0.0.1:${await freePort()}/gone`, [
      'printer.stopped-accepting',
    ]);

    // Act
    const stopped = await api('PUT', `/v1/printers/${printerId}/accepting-jobs`, {
      token: accessToken,
      body: { acceptingJobs: false, reason: 'toner-empty' },
    });
    // biome-ignore lint/suspicious/noExplicitAny: the test reads the log field by field
    type Logged = Record<string, any>;
    const logOf = async (webhookId: string, done: (delivery: Logged) => boolean) =>
      waitFor(
        async () => {
          const answer = await api('GET', `/v1/webhooks/${webhookId}/deliveries`);
          const [delivery] = answer.body.deliveries ?? [];
          return delivery && done(delivery) ? delivery : undefined;
        },
        { timeoutMs: 20_000, what: `the delivery log of ${webhookId}` },
      );
    const delivered = await logOf(flakyHook.webhookId, (d) => d.status === 'delivered');
    const inline = await logOf(deadHook.webhookId, (d) => d.attempts.length === 6);
    const swept = await logOf(deadHook.webhookId, (d) => d.attempts.length === 7);

    // Assess
    expect(stopped.status).toBe(200);
    expect(delivered.attempts.map((a: { status: number }) => a.status)).toEqual([500, 503, 204]);
    const gaps = flaky.received.slice(1).map((r, i) => r.at - (flaky.received[i]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(RETRY_BASE_MS);
    expect(gaps[1]).toBeGreaterThanOrEqual(2 * RETRY_BASE_MS);
    const events = flaky.received.map((r) => JSON.parse(r.body));
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
    expect(events[0]).toMatchObject({
      type: 'printer.stopped-accepting',
      data: { printer: { printerId, acceptingJobs: false, acceptingReason: 'toner-empty' } },
    });
    for (const r of flaky.received) {
      const header = r.headers['cloudprint-signature'] as string;
      expect(verifyWebhookSignature({ payload: r.body, header, secret: flakyHook.secret })).toBe(true);
    }
    // six attempts inside the invocation, then pending until the sweep makes the seventh 300 × base later
    expect(inline.status).toBe('pending');
    expect(inline.attempts.map((a: { error?: string }) => a.error)).toEqual(
      Array(6).fill('connection failed: ECONNREFUSED'),
    );
    const sixth = Date.parse(inline.attempts[5].at);
    expect(Date.parse(inline.nextAttemptAt) - sixth).toBeGreaterThanOrEqual(300 * RETRY_BASE_MS);
    expect(swept.status).toBe('pending');
    expect(Date.parse(swept.attempts[6].at) - sixth).toBeGreaterThanOrEqual(300 * RETRY_BASE_MS);
    expect(Date.parse(swept.attempts[6].at) - sixth).toBeLessThan(300 * RETRY_BASE_MS + 4 * SWEEP_MS);
  }, 30_000);

  it('is managed from the CLI: add, list, read the log, remove', async () => {
    // Prepare
    const hook = await receiver([200]);
    servers.push(hook.server);
    const target = ['--api', cloud.apiUrl, '--key', cloud.ownerKey];
    const run = async (...argv: string[]) => {
      const out: string[] = [];
      const code = await cli([...argv, ...target], { out: (t) => out.push(t), err: (t) => out.push(t) });
      return { code, out: out.join('\n') };
    };

    // Act
    const added = await run(
      'webhook-add',
      hook.url,
      '--events',
      'printer.supply-low',
      '--label',
      'shop',
      '--json',
    );
    expect(added.code, added.out).toBe(0); // the CLI's own words when the cloud refused
    const { webhookId } = JSON.parse(added.out) as { webhookId: string };
    await api('PUT', `/v1/printers/${printerId}/status`, {
      token: accessToken,
      body: { state: 'idle', reasons: ['toner-low'], supplies: { toner: 9 } },
    });
    await waitFor(async () => (hook.received.length > 0 ? true : undefined), {
      what: 'the supply-low event',
    });
    const listed = await run('webhooks');
    const log = await waitFor(async () => {
      const shown = await run('deliveries', webhookId);
      return shown.out.includes('delivered') ? shown : undefined;
    });
    const removed = await run('webhook-remove', webhookId);

    // Assess
    expect(added.code).toBe(0);
    expect(JSON.parse(hook.received[0]?.body ?? '{}')).toMatchObject({
      type: 'printer.supply-low',
      data: { low: ['toner-low'] },
    });
    expect(listed.out).toMatch(new RegExp(`${webhookId}\\s+${hook.url}\\s+printer.supply-low\\s+shop`));
    expect(log.out).toMatch(/printer.supply-low\s+delivered\s+200/);
    expect(removed).toEqual({ code: 0, out: `Removed ${webhookId}` });
    expect((await run('webhooks', '--json')).out).not.toContain(webhookId);
  });

  it('is described, with the rest of the API, at /openapi.json through the local gateway', async () => {
    // Act
    const res = await fetch(`${cloud.apiUrl}/openapi.json`);
    const doc = (await res.json()) as {
      openapi: string;
      servers: { url: string }[];
      paths: Record<string, object>;
    };

    // Assess
    expect(res.status).toBe(200);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers[0]?.url).toBe(cloud.apiUrl);
    expect(Object.keys(doc.paths['/v1/webhooks'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/webhooks/{webhookId}/deliveries'] ?? {})).toEqual(['get']);
  });

  it('refuses a plain http receiver that is not on loopback, and share keys may not manage webhooks', async () => {
    // Prepare
    const share = await api('POST', `/v1/printers/${printerId}/share-keys`);

    // Act
    const remote = await api('POST', '/v1/webhooks', { body: { url: 'http://hooks.example.com/cp' } });
    const byShare = await api('GET', '/v1/webhooks', { token: share.body.shareKey });
    const unknown = await api('GET', '/v1/webhooks/wh_nothing/deliveries');

    // Assess
    expect(remote.status).toBe(400);
    expect(remote.body.field).toBe('body.url');
    expect(byShare.status).toBe(403);
    expect(unknown.status).toBe(404);
  });
});
