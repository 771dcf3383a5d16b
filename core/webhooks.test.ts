import { describe, expect, it } from 'vitest';
import type { Principal } from './auth.ts';
import { BadRequestError, ForbiddenError, NotFoundError } from './errors.ts';
import type { WebhookSender } from './ports.ts';
import { memoryPorts } from './testing/memory-ports.ts';
import {
  DEFAULT_RETRY_BASE_MS,
  deliver,
  INLINE_ATTEMPTS,
  MAX_ATTEMPTS,
  RETRY_SCHEDULE,
  retryDelayMs,
  STALE_DELIVERY_MS,
  sweepDueDeliveries,
} from './webhook-delivery.ts';
import { verifyWebhookSignature } from './webhook-signature.ts';
import {
  checkWebhookUrl,
  createWebhook,
  deleteWebhook,
  emitEvent,
  listDeliveries,
  listWebhooks,
  lowSupplyReasons,
} from './webhooks.ts';

const owner: Principal = { kind: 'owner' };
const share: Principal = { kind: 'share', printerId: 'P1', keyId: 'sk_1' };

describe('checkWebhookUrl', () => {
  it('takes public https URLs, and loopback http only where the local cloud allows it', () => {
    expect(checkWebhookUrl('https://hooks.example.com/cp', false)).toBe('https://hooks.example.com/cp');
    expect(checkWebhookUrl('http://127.0.0.1:9000/hook', true)).toBe('http://127.0.0.1:9000/hook');
    expect(checkWebhookUrl('http://localhost:9000/hook', true)).toBe('http://localhost:9000/hook');
  });

  it('refuses http, internal addresses, credentials in the URL and non-URLs with 400', () => {
    for (const [url, allow] of [
      ['http://hooks.example.com/cp', false],
      ['http://127.0.0.1:9000/hook', false],
      ['http://192.168.1.10/hook', true],
      ['https://169.254.169.254/latest/meta-data', false],
      ['https://10.0.0.1/hook', false],
      ['https://[::1]/hook', false],
      ['https://localhost/hook', false],
      ['https://user:pw@hooks.example.com/cp', false],
      ['ftp://hooks.example.com/cp', false],
      ['not a url', false],
    ] as const) {
      expect(() => checkWebhookUrl(url, allow), url).toThrow(BadRequestError);
    }
  });
});

describe('webhook subscriptions', () => {
  it('are the owner’s: created with a secret shown once, listed without it, deleted', async () => {
    // Prepare
    const ports = memoryPorts();

    // Act
    const created = await createWebhook(
      ports,
      owner,
      { url: 'https://hooks.example.com/a' },
      { allowLoopbackHttp: false },
    );
    const listed = await listWebhooks(ports, owner);
    await deleteWebhook(ports, owner, created.webhookId);

    // Assess
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.events).toContain('job.completed');
    expect(listed).toEqual([
      {
        webhookId: created.webhookId,
        url: 'https://hooks.example.com/a',
        events: created.events,
        createdAt: created.createdAt,
      },
    ]);
    expect(await listWebhooks(ports, owner)).toEqual([]);
    await expect(deleteWebhook(ports, owner, created.webhookId)).rejects.toThrow(NotFoundError);
    await expect(listWebhooks(ports, share)).rejects.toThrow(ForbiddenError);
    await expect(listDeliveries(ports, owner, 'wh_missing')).rejects.toThrow(NotFoundError);
  });
});

describe('emitEvent', () => {
  it('records one pending delivery per webhook that wants the event, and none for others', async () => {
    // Prepare
    const ports = memoryPorts();
    const all = await createWebhook(
      ports,
      owner,
      { url: 'https://a.example.com/' },
      { allowLoopbackHttp: false },
    );
    const printerOnly = await createWebhook(
      ports,
      owner,
      { url: 'https://b.example.com/', events: ['printer.supply-low'] },
      { allowLoopbackHttp: false },
    );

    // Act
    const count = await emitEvent(ports, 'job.completed', { job: { jobId: 'j1' } });

    // Assess
    expect(count).toBe(1);
    const [delivery] = await ports.webhooks.listDeliveries(all.webhookId, 10);
    expect(delivery).toMatchObject({ status: 'pending', type: 'job.completed', attempts: [] });
    expect(JSON.parse(delivery?.payload ?? '{}')).toMatchObject({
      type: 'job.completed',
      data: { job: { jobId: 'j1' } },
    });
    expect(await ports.webhooks.listDeliveries(printerOnly.webhookId, 10)).toEqual([]);
  });

  it('never throws: a storage failure loses the event, not the request', async () => {
    // Prepare
    const ports = memoryPorts();
    ports.webhooks.list = async () => {
      throw new Error('table gone');
    };

    // Act / Assess
    expect(await emitEvent(ports, 'job.completed', {})).toBe(0);
  });

  it('reads supply-low reasons from printer-state-reasons', () => {
    expect(lowSupplyReasons(['toner-low', 'media-empty', 'marker-supply-low', 'paused'])).toEqual([
      'toner-low',
      'marker-supply-low',
    ]);
  });
});

describe('deliver', () => {
  async function pending(send: WebhookSender) {
    const ports = memoryPorts();
    const hook = await createWebhook(
      ports,
      owner,
      { url: 'https://r.example.com/hook' },
      { allowLoopbackHttp: false },
    );
    await emitEvent(ports, 'job.completed', { job: { jobId: 'j1' } });
    const [delivery] = await ports.webhooks.listDeliveries(hook.webhookId, 1);
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
      ports.advance(ms);
    };
    return { ports, hook, deliveryId: delivery?.deliveryId ?? '', slept, send, sleep };
  }

  it('POSTs the event signed with the webhook secret and records the delivery', async () => {
    // Prepare
    const sent: Parameters<WebhookSender>[0][] = [];
    const p = await pending(async (request) => {
      sent.push(request);
      return { status: 204 };
    });

    // Act
    const result = await deliver(p.ports, p.hook.webhookId, p.deliveryId, { send: p.send, sleep: p.sleep });

    // Assess
    expect(result?.status).toBe('delivered');
    expect(sent).toHaveLength(1);
    const request = sent[0] as Parameters<WebhookSender>[0];
    expect(request.url).toBe('https://r.example.com/hook');
    expect(request.headers['cloudprint-event']).toBe('job.completed');
    const nowSeconds = Math.floor(p.ports.clock.now().getTime() / 1000);
    expect(
      verifyWebhookSignature({
        payload: request.body,
        header: request.headers['cloudprint-signature'],
        secret: p.hook.secret,
        nowSeconds,
      }),
    ).toBe(true);
    const [logged] = await listDeliveries(p.ports, owner, p.hook.webhookId);
    expect(logged).toMatchObject({ status: 'delivered', nextAttemptAt: null, attempts: [{ status: 204 }] });
  });

  it('retries a failing receiver with exponential backoff, logging each attempt, until it answers 2xx', async () => {
    // Prepare
    let calls = 0;
    const p = await pending(async () => {
      calls++;
      if (calls === 1) throw new Error('connect ECONNREFUSED');
      return { status: calls < 4 ? 500 : 200 };
    });

    // Act
    const result = await deliver(p.ports, p.hook.webhookId, p.deliveryId, {
      send: p.send,
      sleep: p.sleep,
      retryBaseMs: 1000,
    });

    // Assess
    expect(p.slept).toEqual([0, 1000, 2000, 4000]);
    expect(result?.status).toBe('delivered');
    expect(result?.attempts.map((a) => a.status ?? a.error)).toEqual(['connect ECONNREFUSED', 500, 500, 200]);
  });

  it('leaves later retries to the sweep, which makes each when due, and gives up after MAX_ATTEMPTS', async () => {
    // Prepare
    const p = await pending(async () => ({ status: 503 }));
    const options = { send: p.send, sleep: p.sleep, retryBaseMs: 10 };

    // Act
    const inline = await deliver(p.ports, p.hook.webhookId, p.deliveryId, options);
    const sweeps: number[] = [];
    for (let n = INLINE_ATTEMPTS; n < MAX_ATTEMPTS; n++) {
      sweeps.push(await sweepDueDeliveries(p.ports, options)); // not due yet
      p.ports.advance(retryDelayMs(n, 10));
      sweeps.push(await sweepDueDeliveries(p.ports, options));
    }
    const final = await p.ports.webhooks.getDelivery(p.hook.webhookId, p.deliveryId);

    // Assess
    expect(inline).toMatchObject({ status: 'pending' });
    expect(inline?.attempts).toHaveLength(INLINE_ATTEMPTS);
    expect(p.slept.slice(0, INLINE_ATTEMPTS)).toEqual([0, 10, 20, 40, 80, 160]);
    expect(sweeps).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    expect(final?.status).toBe('failed');
    expect(final?.attempts).toHaveLength(MAX_ATTEMPTS);
    expect(final?.nextAttemptAt).toBeNull();
    expect(RETRY_SCHEDULE.slice(INLINE_ATTEMPTS).map((units) => units * DEFAULT_RETRY_BASE_MS)).toEqual([
      5 * 60_000,
      30 * 60_000,
      2 * 3_600_000,
      8 * 3_600_000,
      24 * 3_600_000,
    ]);
  });

  it('sweeps up a new delivery whose invocation never came (stale), not one an invocation holds', async () => {
    // Prepare
    const sent: string[] = [];
    const p = await pending(async (request) => {
      sent.push(request.url);
      return { status: 200 };
    });
    const options = { send: p.send, sleep: p.sleep };

    // Act
    const fresh = await sweepDueDeliveries(p.ports, options);
    p.ports.advance(STALE_DELIVERY_MS + 1);
    const stale = await sweepDueDeliveries(p.ports, options);

    // Assess
    expect([fresh, stale]).toEqual([0, 1]);
    expect(sent).toEqual(['https://r.example.com/hook']);
    expect((await p.ports.webhooks.getDelivery(p.hook.webhookId, p.deliveryId))?.status).toBe('delivered');
  });

  it('stops when another deliverer of the same item recorded an attempt first (a repeated stream record)', async () => {
    // Prepare
    let sends = 0;
    const p = await pending(async () => {
      sends++;
      // the twin delivers and records while this one waits for its answer
      const twin = await p.ports.webhooks.getDelivery(p.hook.webhookId, p.deliveryId);
      await p.ports.webhooks.updateDelivery(p.hook.webhookId, p.deliveryId, {
        status: 'delivered',
        attempts: [{ at: 'twin', status: 200, durationMs: 1 }],
        nextAttemptAt: null,
        updatedAt: 'twin',
        recordedAttempts: twin?.attempts.length ?? 0,
      });
      return { status: 500 };
    });

    // Act
    const result = await deliver(p.ports, p.hook.webhookId, p.deliveryId, { send: p.send, sleep: p.sleep });

    // Assess
    expect(sends).toBe(1);
    expect(result).toMatchObject({ status: 'delivered', attempts: [{ at: 'twin', status: 200 }] });
  });

  it('starts no attempt the invocation has no time left for', async () => {
    // Prepare
    const p = await pending(async () => ({ status: 500 }));

    // Act
    const result = await deliver(p.ports, p.hook.webhookId, p.deliveryId, {
      send: p.send,
      sleep: p.sleep,
      retryBaseMs: 10_000,
      attemptTimeoutMs: 1_000,
      remainingMs: () => 15_000,
    });

    // Assess: the first (no wait) and the second (10 s wait) fit, the third (20 s) is left to the sweep
    expect(result?.status).toBe('pending');
    expect(result?.attempts.map((a) => a.status)).toEqual([500, 500]);
    expect(result?.nextAttemptAt).toBe(new Date(p.ports.clock.now().getTime() + 20_000).toISOString());
  });
});
