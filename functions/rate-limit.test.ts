/** Rate limits through the register handler on DynamoDB (dynalite): 429 with Retry-After, per sourceIp. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMITS } from '../core/rate-limit.ts';
import { GLOBAL_PIN_FAILURES } from '../core/registration.ts';
import { call, httpEvent, startTestCloud, type TestCloud } from './testing/cloud.ts';
import { type Handlers, loadHandlers } from './testing/flows.ts';

let cloud: TestCloud;
let handlers: Handlers;

beforeAll(async () => {
  cloud = await startTestCloud();
  handlers = await loadHandlers();
});

afterAll(async () => {
  await cloud?.stop();
});

function from<T extends ReturnType<typeof httpEvent>>(sourceIp: string, event: T): T {
  event.requestContext.http.sourceIp = sourceIp;
  return event;
}

function register(sourceIp: string, printerId: string) {
  return call(
    handlers.register,
    from(sourceIp, httpEvent('POST /v1/registrations', { body: { printerId } })),
  );
}

function claim(sourceIp: string, body: Record<string, string>) {
  return call(
    handlers.register,
    from(sourceIp, httpEvent('POST /v1/claims', { token: cloud.ownerKey, body })),
  );
}

describe('registrations', () => {
  it('answers 429 with Retry-After once one source spent its budget, in parallel too', async () => {
    // Act: a burst of twice the limit at once, then another source
    const burst = await Promise.all(
      Array.from({ length: RATE_LIMITS.registrations.limit * 2 }, (_, i) =>
        register('203.0.113.7', `rl-${i}`),
      ),
    );
    const other = await register('203.0.113.8', 'rl-other');
    // Assess
    const statuses = burst.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(RATE_LIMITS.registrations.limit);
    const refused = burst.find((a) => a.status === 429);
    expect(refused?.body.error).toBe('rate-limited');
    const retryAfter = Number(refused?.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(RATE_LIMITS.registrations.windowSeconds);
    expect(other.status).toBe(201);
  });
});

describe('claims', () => {
  it('lets a correct claim naming its registration through while PIN-only guesses are refused', async () => {
    // Prepare: the global PIN-only budget spent, from many sources
    const started = (await register('203.0.113.20', 'rl-claim')).body;
    for (let i = 0; i < GLOBAL_PIN_FAILURES; i++) await claim(`198.51.100.${i % 250}`, { pin: 'ZZZZ-ZZZZ' });
    // Act
    const guess = await claim('198.51.100.251', { pin: String(started.pin) });
    const named = await claim('203.0.113.20', {
      registrationId: String(started.registrationId),
      pin: String(started.pin),
    });
    // Assess
    expect(guess.status).toBe(429);
    expect(Number(guess.headers['retry-after'])).toBeGreaterThan(0);
    expect(named.status).toBe(200);
    expect(named.body).toEqual({ printerId: 'rl-claim' });
  });
});
