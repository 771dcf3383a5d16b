import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';
import { register, type ShownRegistration } from './printer-registration.ts';
import { FakeClock, FakeCloud, flush, harness, until } from './testing-fakes.ts';

function run(cloud: FakeCloud, clock: FakeClock) {
  const shown: Array<ShownRegistration | null> = [];
  const controller = new AbortController();
  const result = register(
    {
      cloud,
      clock,
      printerId: 'P1',
      name: 'Office',
      capabilities: {},
      show: (s) => shown.push(s),
      log: () => {},
      backoff: new Backoff({ baseMs: 1_000, random: () => 0 }),
    },
    controller.signal,
  );
  return { shown, result, controller };
}

describe('registration (T10–T62)', () => {
  it('shows the PIN, polls no faster than the interval, and returns the token', async () => {
    // Prepare
    const cloud = new FakeCloud();
    const clock = new FakeClock();
    cloud.registrationAnswers = [
      { status: 'pending' },
      { status: 'complete', printerId: 'P1', accessToken: 'tok' },
    ];

    // Act
    const { shown, result } = run(cloud, clock);
    await flush();
    expect(shown).toEqual([
      { pin: 'PIN1', claimUrl: 'http://cloud.test/claim/reg-1', expiresAt: '2026-01-01T00:10:00.000Z' },
    ]);
    await clock.advance(4_999);
    expect(cloud.ops().filter((op) => op === 'pollRegistration')).toHaveLength(0);
    await clock.advance(1);
    expect(cloud.ops().filter((op) => op === 'pollRegistration')).toHaveLength(1);
    await clock.advance(5_000);

    // Assess
    await expect(result).resolves.toBe('tok');
    expect(shown.at(-1)).toBeNull();
  });

  it('slows down on slow_down and starts over when the registration expired', async () => {
    // Prepare
    const cloud = new FakeCloud();
    const clock = new FakeClock();
    cloud.registrationAnswers = [
      { status: 'slow_down' },
      { status: 'expired' },
      { status: 'complete', printerId: 'P1', accessToken: 'tok' },
    ];

    // Act
    const { shown, result } = run(cloud, clock);
    await flush();
    await clock.advance(5_000); // slow_down: the interval becomes 10 s
    await clock.advance(9_999);
    expect(cloud.ops().filter((op) => op === 'pollRegistration')).toHaveLength(1);
    await clock.advance(1); // expired: a new PIN
    await clock.advance(5_000);

    // Assess
    await expect(result).resolves.toBe('tok');
    expect(cloud.ops().filter((op) => op === 'register')).toHaveLength(2);
    expect(shown.filter((s) => s !== null).map((s) => s?.pin)).toEqual(['PIN1', 'PIN2']);
  });

  it('retries with backoff while the cloud cannot be reached, and stops when aborted', async () => {
    // Prepare
    const cloud = new FakeCloud();
    const clock = new FakeClock();
    cloud.fail('register', 2);
    cloud.registrationAnswers = [{ status: 'pending' }];

    // Act
    const { shown, result, controller } = run(cloud, clock);
    await flush();
    await clock.advance(500);
    await clock.advance(1_000);

    // Assess
    expect(cloud.ops().filter((op) => op === 'register')).toHaveLength(3);
    expect(shown).toHaveLength(1);
    controller.abort();
    await expect(result).rejects.toThrow(/aborted/);
  });

  it('a printer without a token shows the PIN in /api/state and stores the token once claimed', async () => {
    // Prepare
    const cloud = new FakeCloud();
    cloud.registrationAnswers = [
      { status: 'pending' },
      { status: 'complete', printerId: 'P1', accessToken: cloud.token },
    ];

    // Act
    const h = await harness({ cloud, registered: false });

    // Assess
    expect(h.printer.snapshot()).toMatchObject({ registered: false, registration: { pin: 'PIN1' } });
    expect(h.logs.join('\n')).toContain('http://cloud.test/claim/reg-1');
    await h.clock.advance(10_000);
    await until(() => h.printer.snapshot().registered, 'registered');
    expect(h.printer.snapshot().registration).toBeNull();
    expect(h.store.data.token).toBe(cloud.token);
  });
});
