import { describe, expect, it } from 'vitest';
import { resolvePrincipal } from './auth.ts';
import { GoneError, HttpError, TooManyRequestsError } from './errors.ts';
import {
  claimRegistration,
  GLOBAL_PIN_FAILURES,
  GLOBAL_PIN_WINDOW_SECONDS,
  MAX_PIN_ATTEMPTS,
  pollRegistration,
  startRegistration,
} from './registration.ts';
import { hashSecret } from './secrets.ts';
import { memoryPorts } from './testing/memory-ports.ts';

describe('registration with a fake clock', () => {
  it('expires after REGISTRATION_TTL_SECONDS: a late claim and a late poll answer 410', async () => {
    // Prepare
    const ports = memoryPorts();
    const started = await startRegistration(ports, { printerId: 'P1' });
    ports.advance(ports.settings.registrationTtlSeconds * 1000 + 1);
    // Act
    const claim = claimRegistration(ports, { registrationId: started.registrationId, pin: started.pin });
    const poll = pollRegistration(ports, started.registrationId, started.pollToken);
    // Assess
    await expect(claim).rejects.toBeInstanceOf(GoneError);
    await expect(poll).rejects.toBeInstanceOf(GoneError);
  });

  it('stores only hashes: no PIN, poll token or access token in any record', async () => {
    // Prepare
    const ports = memoryPorts();
    const started = await startRegistration(ports, { printerId: 'P1' });
    await claimRegistration(ports, { pin: started.pin });
    // Act
    const answer = await pollRegistration(ports, started.registrationId, started.pollToken);
    // Assess
    const stored = JSON.stringify([
      [...ports.registrations.items.values()],
      [...ports.printers.items.values()],
      [...ports.credentials.items.values()],
      [...ports.guards.items.entries()],
    ]);
    expect(answer.status).toBe('complete');
    const token = answer.status === 'complete' ? answer.accessToken : '';
    expect(stored).not.toContain(started.pin);
    expect(stored).not.toContain(started.pin.replace('-', ''));
    expect(stored).not.toContain(started.pollToken);
    expect(stored).not.toContain(token);
    expect(ports.credentials.items.get(hashSecret(token))).toMatchObject({ kind: 'access', printerId: 'P1' });
    expect(ports.printers.items.get('P1')?.tokenHash).toBe(hashSecret(token));
  });

  it('never blocks a correct claim naming its registration, whatever wrong PINs others sent', async () => {
    // Prepare: the global PIN-only budget spent from many sources, and wrong PINs on another registration
    const ports = memoryPorts();
    for (let i = 0; i < GLOBAL_PIN_FAILURES + 5; i++)
      await claimRegistration(ports, { pin: 'ZZZZ-ZZZZ' }, `198.51.100.${i}`).catch(() => undefined);
    const other = await startRegistration(ports, { printerId: 'P1' });
    for (let i = 0; i < MAX_PIN_ATTEMPTS - 1; i++)
      await claimRegistration(ports, { registrationId: other.registrationId, pin: 'ZZZZ-ZZZZ' }).catch(
        () => undefined,
      );
    const started = await startRegistration(ports, { printerId: 'P2' });
    // Act
    const claimed = await claimRegistration(ports, {
      registrationId: started.registrationId,
      pin: started.pin,
    });
    // Assess
    expect(claimed).toEqual({ printerId: 'P2' });
  });

  it('limits PIN-only claims globally per window with a Retry-After, lifted in the next window', async () => {
    // Prepare
    const ports = memoryPorts();
    for (let i = 0; i < GLOBAL_PIN_FAILURES; i++)
      await claimRegistration(ports, { pin: 'ZZZZ-ZZZZ' }, `198.51.100.${i}`).catch(() => undefined);
    const started = await startRegistration(ports, { printerId: 'P2' });
    // Act
    const limited = await claimRegistration(ports, { pin: started.pin }, '203.0.113.9').catch((e) => e);
    ports.advance(GLOBAL_PIN_WINDOW_SECONDS * 1000);
    const later = await claimRegistration(ports, { pin: started.pin }, '203.0.113.9');
    // Assess
    expect(limited).toBeInstanceOf(TooManyRequestsError);
    expect(limited.details.retryAfter).toBeGreaterThan(0);
    expect(limited.details.retryAfter).toBeLessThanOrEqual(GLOBAL_PIN_WINDOW_SECONDS);
    expect(later).toEqual({ printerId: 'P2' });
  });

  it('lets the poll through again once the interval has passed', async () => {
    // Prepare
    const ports = memoryPorts();
    const started = await startRegistration(ports, { printerId: 'P3' });
    await pollRegistration(ports, started.registrationId, started.pollToken);
    // Act
    const tooSoon = pollRegistration(ports, started.registrationId, started.pollToken);
    await expect(tooSoon).rejects.toMatchObject({ code: 'slow_down' });
    ports.advance(ports.settings.pollIntervalSeconds * 1000);
    const onTime = await pollRegistration(ports, started.registrationId, started.pollToken);
    // Assess
    expect(onTime).toEqual({ status: 'pending' });
  });

  it('compares at most five PINs of one registration, even when the guesses arrive together', async () => {
    // Prepare: nine wrong guesses and then the right PIN, all at once
    const ports = memoryPorts();
    const started = await startRegistration(ports, { printerId: 'P4' });
    const wrong = started.pin === 'AAAA-AAAA' ? 'BBBB-BBBB' : 'AAAA-AAAA';
    const pins = [...Array.from({ length: 9 }, () => wrong), started.pin];
    // Act
    const answers = await Promise.allSettled(
      pins.map((pin) => claimRegistration(ports, { registrationId: started.registrationId, pin })),
    );
    // Assess: the right PIN came after five wrong ones, so it did not claim; every answer is a 4xx
    const statuses = answers.map((a) =>
      a.status === 'rejected' && a.reason instanceof HttpError ? a.reason.statusCode : 0,
    );
    expect(statuses.filter((s) => s === 403)).toHaveLength(MAX_PIN_ATTEMPTS - 1);
    expect(statuses.filter((s) => s === 410)).toHaveLength(pins.length - (MAX_PIN_ATTEMPTS - 1));
    expect(ports.registrations.items.get(started.registrationId)?.status).toBe('expired');
  });

  it('holds the global limit when PIN-only guesses arrive together', async () => {
    // Prepare
    const ports = memoryPorts();
    // Act
    const answers = await Promise.allSettled(
      Array.from({ length: GLOBAL_PIN_FAILURES + 10 }, (_, i) =>
        claimRegistration(ports, { pin: 'ZZZZ-ZZZZ' }, `198.51.100.${i}`),
      ),
    );
    // Assess
    const codes = answers.map((a) =>
      a.status === 'rejected' && a.reason instanceof HttpError ? a.reason.code : '',
    );
    expect(codes.filter((c) => c === 'wrong-pin')).toHaveLength(GLOBAL_PIN_FAILURES);
    expect(codes.filter((c) => c === 'too-many-attempts')).toHaveLength(10);
  });
});

describe('re-registration replaces the access token, also when the hand-over dies part-way', () => {
  async function registered(ports: ReturnType<typeof memoryPorts>): Promise<string> {
    const started = await startRegistration(ports, { printerId: 'P1' });
    await claimRegistration(ports, { pin: started.pin });
    ports.advance(ports.settings.pollIntervalSeconds * 1000);
    const answer = await pollRegistration(ports, started.registrationId, started.pollToken);
    if (answer.status !== 'complete') throw new Error('not handed over');
    return answer.accessToken;
  }

  const resolves = (ports: ReturnType<typeof memoryPorts>, token: string) =>
    resolvePrincipal(token, ports).then((p) => p?.kind);

  it('leaves only the new token valid after a completed hand-over', async () => {
    // Prepare
    const ports = memoryPorts();
    const oldToken = await registered(ports);
    // Act
    const newToken = await registered(ports);
    // Assess
    expect(await resolves(ports, oldToken)).toBeUndefined();
    expect(await resolves(ports, newToken)).toBe('access');
    expect([...ports.credentials.items.keys()]).toEqual([hashSecret(newToken)]);
  });

  it.each([
    ['writing the new token', 'credentials'],
    ['writing the printer record', 'printers'],
  ] as const)('leaves the old token dead when the Lambda dies before %s', async (_, failing) => {
    // Prepare
    const ports = memoryPorts();
    const oldToken = await registered(ports);
    const crash = async () => {
      throw new Error('the Lambda died');
    };
    if (failing === 'credentials') ports.credentials.put = crash;
    else ports.printers.register = crash;
    // Act
    const second = registered(ports);
    // Assess
    await expect(second).rejects.toThrow('the Lambda died');
    expect(await resolves(ports, oldToken)).toBeUndefined();
  });
});
