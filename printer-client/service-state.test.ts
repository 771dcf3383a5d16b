import { describe, expect, it } from 'vitest';
import { FakeClock, harness, until } from './testing-fakes.ts';

/** An enabled, connected printer with its first instructions sent. */
async function online(options: Parameters<typeof harness>[0] = {}) {
  const h = await harness(options);
  await h.printer.setService(true);
  await until(() => h.printer.snapshot().connection === 'connected', 'connected');
  await h.printer.outbox.idle();
  return h;
}

describe('enabling the service (figure 3, T110–T124)', () => {
  it('opens the push connection, sends accepting-jobs=true and the current status, lists jobs', async () => {
    // Prepare
    const h = await harness();
    expect(h.printer.snapshot()).toMatchObject({
      service: 'disabled',
      connection: 'off',
      acceptingJobs: false,
    });

    // Act
    await h.printer.setService(true);
    await until(() => h.printer.snapshot().connection === 'connected', 'connected');
    await h.printer.outbox.idle();

    // Assess
    expect(h.cloud.acceptingCalls()).toEqual([{ acceptingJobs: true }]);
    const status = h.cloud.calls.find((c) => c.op === 'putStatus');
    expect(status).toMatchObject({
      status: { state: 'idle', reasons: [], supplies: { toner: 100, paper: 500 } },
    });
    expect(h.cloud.ops()).toContain('listFetchable');
    expect(h.printer.snapshot()).toMatchObject({
      service: 'enabled',
      acceptingJobs: true,
      acceptingSynced: true,
    });
  });

  it('polls the job list at the X-Poll-Interval in poll mode (variation 1)', async () => {
    // Prepare
    const h = await harness({ mode: 'poll' });
    h.cloud.pollIntervalSeconds = 2;

    // Act
    await h.printer.setService(true);
    const polls = () => h.cloud.ops().filter((op) => op === 'listFetchable').length;
    const scheduled = () => until(() => h.clock.pending().includes(2_000), 'the next poll scheduled');
    await scheduled();
    const first = polls();
    await h.clock.advance(2_000);
    await until(() => polls() === first + 1, 'second poll');
    await scheduled();
    await h.clock.advance(2_000);
    await until(() => polls() === first + 2, 'third poll');

    // Assess
    expect(h.printer.snapshot().connection).toBe('polling');
    expect(h.cloud.ops()).not.toContain('openPush');
    expect(h.cloud.lastAccepting()).toEqual({ acceptingJobs: true });
  });
});

describe('disabling the service: each stop policy', () => {
  it('now (figure 4): goodbye, close, THEN accepting-jobs=false (paused)', async () => {
    // Prepare
    const h = await online();
    const mark = h.cloud.calls.length;

    // Act
    await h.printer.setService(false, 'now');
    await h.printer.outbox.idle();

    // Assess
    const after = h.cloud.calls.slice(mark).filter((c) => c.op !== 'putStatus');
    expect(after).toEqual([
      { op: 'send', action: 'goodbye' },
      { op: 'close' },
      { op: 'setAccepting', acceptingJobs: false, reason: 'paused' },
    ]);
    expect(h.printer.snapshot()).toMatchObject({
      service: 'disabled',
      connection: 'off',
      acceptingJobs: false,
    });
  });

  it('ask (figure 5): closes, shows the inquiry; yes sends false', async () => {
    // Prepare
    const h = await online();

    // Act
    await h.printer.setService(false, 'ask');

    // Assess
    expect(h.printer.snapshot()).toMatchObject({ inquiry: true, connection: 'off', acceptingJobs: true });
    expect(h.cloud.lastAccepting()).toEqual({ acceptingJobs: true });
    await h.printer.answerInquiry(true);
    await h.printer.outbox.idle();
    expect(h.cloud.lastAccepting()).toEqual({ acceptingJobs: false, reason: 'paused' });
    expect(h.printer.snapshot().inquiry).toBe(false);
  });

  it('ask, answered no: sends nothing, and the cloud keeps accepting', async () => {
    // Prepare
    const h = await online();
    await h.printer.setService(false, 'ask');
    const mark = h.cloud.calls.length;

    // Act
    await h.printer.answerInquiry(false);
    await h.clock.advance(3_600_000);

    // Assess
    expect(h.cloud.calls.slice(mark)).toEqual([]);
    expect(h.printer.snapshot()).toMatchObject({ inquiry: false, acceptingJobs: true });
    await expect(h.printer.answerInquiry(true)).rejects.toThrow(/no inquiry/);
  });

  it('never (figure 6, checkbox unticked): closes and sends nothing', async () => {
    // Prepare
    const h = await online();
    const mark = h.cloud.calls.length;

    // Act
    await h.printer.setService(false, 'never');
    await h.clock.advance(24 * 3_600_000);

    // Assess
    expect(h.cloud.calls.slice(mark)).toEqual([{ op: 'send', action: 'goodbye' }, { op: 'close' }]);
    expect(h.printer.snapshot()).toMatchObject({
      service: 'disabled',
      acceptingJobs: true,
      pendingStop: null,
    });
  });

  it('uses the saved setting when the instruction names no policy', async () => {
    // Prepare
    const h = await online();
    await h.printer.saveSettings({ stopAccepting: 'never' });
    const mark = h.cloud.calls.length;

    // Act
    await h.printer.setService(false);

    // Assess
    expect(h.cloud.calls.slice(mark).some((c) => c.op === 'setAccepting')).toBe(false);
    expect(h.printer.snapshot().service).toBe('disabled');
  });

  it('after (figure 7): sends false once the service stayed off that long', async () => {
    // Prepare
    const h = await online();

    // Act
    await h.printer.setService(false, 'after', 60);

    // Assess
    const at = new Date(h.clock.now() + 60 * 60_000).toISOString();
    expect(h.printer.snapshot().pendingStop).toEqual({ at });
    await h.clock.advance(59 * 60_000);
    expect(h.cloud.lastAccepting()).toEqual({ acceptingJobs: true });
    await h.clock.advance(60_000);
    await h.printer.outbox.idle();
    expect(h.cloud.lastAccepting()).toEqual({ acceptingJobs: false, reason: 'paused' });
    expect(h.printer.snapshot().pendingStop).toBeNull();
  });

  it('after, enabled again in time: the stop is cancelled and accepting-jobs=true is sent', async () => {
    // Prepare
    const h = await online();
    await h.printer.setService(false, 'after', 60);
    await h.clock.advance(30 * 60_000);

    // Act
    await h.printer.setService(true);
    await h.clock.advance(60 * 60_000);
    await h.printer.outbox.idle();

    // Assess
    expect(h.printer.snapshot()).toMatchObject({ pendingStop: null, service: 'enabled' });
    expect(h.cloud.acceptingCalls()).toEqual([{ acceptingJobs: true }, { acceptingJobs: true }]);
  });

  it('enabling after a stop sends accepting-jobs=true again', async () => {
    // Prepare
    const h = await online();
    await h.printer.setService(false, 'now');
    await h.printer.outbox.idle();

    // Act
    await h.printer.setService(true);
    await h.printer.outbox.idle();

    // Assess
    expect(h.cloud.acceptingCalls().map((c) => c.acceptingJobs)).toEqual([true, false, true]);
    await until(() => h.printer.snapshot().connection === 'connected', 'reconnected');
  });
});

describe('the pending stop survives a restart', () => {
  it('is restored with the same due time and sent when due', async () => {
    // Prepare
    const first = await online();
    await first.printer.setService(false, 'after', 10);
    const due = first.printer.snapshot().pendingStop;
    await first.printer.shutdown();

    // Act
    const clock = new FakeClock(first.clock.now() + 5 * 60_000);
    const again = await harness({ dir: first.dir, cloud: first.cloud, clock });

    // Assess
    expect(again.printer.snapshot().pendingStop).toEqual(due);
    expect(first.cloud.lastAccepting()).toEqual({ acceptingJobs: true });
    await clock.advance(5 * 60_000);
    await again.printer.outbox.idle();
    expect(first.cloud.lastAccepting()).toEqual({ acceptingJobs: false, reason: 'paused' });
    expect(again.printer.snapshot().pendingStop).toBeNull();
  });

  it('is sent on start when it fell due while the client was down', async () => {
    // Prepare
    const first = await online();
    await first.printer.setService(false, 'after', 10);
    await first.printer.shutdown();

    // Act
    const again = await harness({
      dir: first.dir,
      cloud: first.cloud,
      clock: new FakeClock(first.clock.now() + 3_600_000),
    });
    await again.printer.outbox.idle();

    // Assess
    expect(first.cloud.lastAccepting()).toEqual({ acceptingJobs: false, reason: 'paused' });
    expect(again.printer.snapshot().pendingStop).toBeNull();
  });
});

describe('claim 1: stopping the process is not turning the service off', () => {
  it('shutdown sends nothing, and a restart reconnects the enabled service', async () => {
    // Prepare
    const first = await online();
    const mark = first.cloud.calls.length;

    // Act
    await first.printer.shutdown();

    // Assess
    expect(first.cloud.calls.slice(mark)).toEqual([{ op: 'close' }]);
    const again = await harness({ dir: first.dir, cloud: first.cloud });
    await until(() => again.printer.snapshot().connection === 'connected', 'reconnected');
    expect(again.printer.snapshot()).toMatchObject({ service: 'enabled', acceptingJobs: true });
    expect(first.cloud.acceptingCalls()).toEqual([{ acceptingJobs: true }]);
  });

  it('an instruction that could not be sent before the stop is sent after the restart', async () => {
    // Prepare
    const first = await online();
    first.cloud.fail('setAccepting', 100);
    await first.printer.setService(false, 'now');
    expect(first.printer.snapshot().acceptingSynced).toBe(false);
    await first.printer.shutdown();

    // Act
    first.cloud.fail('setAccepting', 0);
    const again = await harness({ dir: first.dir, cloud: first.cloud });
    await again.printer.outbox.idle();

    // Assess
    expect(first.cloud.lastAccepting()).toEqual({ acceptingJobs: false, reason: 'paused' });
    expect(again.printer.snapshot().acceptingSynced).toBe(true);
  });
});

describe('revocation', () => {
  it('a revoked message drops the token and starts registration again', async () => {
    // Prepare
    const h = await online();
    h.cloud.registrationAnswers = [{ status: 'pending' }];

    // Act
    h.cloud.socket?.push({ type: 'revoked' });
    await until(() => h.cloud.ops().includes('register'), 'registration');

    // Assess
    const state = h.printer.snapshot();
    expect(state.registered).toBe(false);
    expect(state.registration).toMatchObject({ pin: 'PIN1', claimUrl: 'http://cloud.test/claim/reg-1' });
    expect(state.connection).toBe('off');
    expect(h.store.data.token).toBeNull();
  });
});

describe('registering again after a revocation', () => {
  it('an enabled service reconnects with the new token and gives its acceptance instruction again', async () => {
    // Prepare
    const h = await online();
    h.cloud.token = 'access-token-2';
    h.cloud.registrationAnswers = [{ status: 'complete', printerId: 'P1', accessToken: 'access-token-2' }];

    // Act
    h.cloud.socket?.push({ type: 'revoked' });
    await until(() => h.cloud.ops().includes('register'), 'registration');
    await h.clock.advance(5_000);
    await until(() => h.printer.snapshot().connection === 'connected', 'reconnected');
    await h.printer.outbox.idle();

    // Assess
    expect(h.store.data.token).toBe('access-token-2');
    expect(h.cloud.acceptingCalls()).toEqual([{ acceptingJobs: true }, { acceptingJobs: true }]);
    expect(h.printer.snapshot()).toMatchObject({ registered: true, service: 'enabled', acceptingJobs: true });
  });
});
