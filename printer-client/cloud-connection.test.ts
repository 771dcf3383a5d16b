import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';
import { CloudConnection, type ConnectionState } from './cloud-connection.ts';
import { FakeClock, FakeCloud, flush, until } from './testing-fakes.ts';

function connection(options: { mode?: 'push' | 'poll'; random?: () => number } = {}) {
  const cloud = new FakeCloud();
  const clock = new FakeClock();
  const events = { ready: 0, revoked: 0, states: [] as ConnectionState[] };
  let failures = 0;
  let token: string | null = cloud.token;
  const conn = new CloudConnection({
    cloud,
    clock,
    mode: options.mode ?? 'push',
    token: () => token,
    log: () => {},
    heartbeatMs: 240_000,
    backoff: new Backoff({ baseMs: 1_000, maxMs: 8_000, random: options.random ?? (() => 0) }),
    handlers: {
      onReady: async () => {
        events.ready++;
        if (failures > 0) {
          failures--;
          throw new Error('listing failed');
        }
        return cloud.pollIntervalSeconds;
      },
      onRevoked: () => {
        events.revoked++;
        token = null;
      },
      onChange: (state) => events.states.push(state),
    },
  });
  return {
    cloud,
    clock,
    conn,
    events,
    failListing: (times: number) => {
      failures = times;
    },
  };
}

describe('Backoff', () => {
  it('doubles up to the cap, jitters within the upper half, and resets', () => {
    const low = new Backoff({ baseMs: 1_000, maxMs: 8_000, random: () => 0 });
    expect([low.next(), low.next(), low.next(), low.next(), low.next()]).toEqual([
      500, 1_000, 2_000, 4_000, 4_000,
    ]);
    const high = new Backoff({ baseMs: 1_000, maxMs: 8_000, random: () => 0.999_999 });
    expect([high.next(), high.next(), high.next(), high.next(), high.next()]).toEqual([
      1_000, 2_000, 4_000, 8_000, 8_000,
    ]);
    high.reset();
    expect(high.next()).toBe(1_000);
  });
});

describe('CloudConnection (push)', () => {
  it('connects, lists on connect and on each push hint, and heartbeats every interval', async () => {
    // Prepare
    const { cloud, clock, conn, events } = connection();

    // Act
    conn.start();
    await flush();
    cloud.socket?.push({ type: 'job-available', jobId: 'j1' });
    await clock.advance(240_000 * 2);

    // Assess
    expect(conn.state).toBe('connected');
    expect(events).toMatchObject({ ready: 2, states: ['connecting', 'connected'] });
    expect(cloud.calls.filter((c) => c.op === 'send')).toEqual([
      { op: 'send', action: 'heartbeat' },
      { op: 'send', action: 'heartbeat' },
    ]);
  });

  it('reconnects with growing backoff while the cloud is away, lists again, then resets the backoff', async () => {
    // Prepare
    const { cloud, clock, conn, events } = connection();
    conn.start();
    await flush();
    cloud.fail('openPush', 3);

    // Act
    cloud.socket?.drop();
    await flush();

    // Assess: 500, 1000, 2000 ms of waiting fail; the fourth attempt at +4000 ms succeeds
    expect(conn.state).toBe('connecting');
    expect(clock.pending()[0]).toBe(500);
    await clock.advance(500);
    expect(clock.pending()[0]).toBe(1_000);
    await clock.advance(1_000);
    expect(clock.pending()[0]).toBe(2_000);
    await clock.advance(2_000);
    expect(clock.pending()[0]).toBe(4_000);
    await clock.advance(4_000);
    expect(conn.state).toBe('connected');
    expect(events.ready).toBe(2);
    expect(cloud.ops().filter((op) => op === 'openPush')).toHaveLength(5);

    // Act: a later loss starts from the base delay again
    cloud.socket?.drop();
    await flush();
    expect(clock.pending()[0]).toBe(500);
  });

  it('a listing that fails after a hint is retried with backoff while connected', async () => {
    // Prepare
    const { cloud, clock, conn, events, failListing } = connection();
    conn.start();
    await flush();
    failListing(2);

    // Act
    cloud.socket?.push({ type: 'job-available', jobId: 'j1' });
    await flush();
    await clock.advance(500);
    await clock.advance(1_000);
    await clock.advance(60_000);

    // Assess: connect, the failed hint, two retries (the second one succeeds), nothing more
    expect(events.ready).toBe(4);
    expect(conn.state).toBe('connected');
  });

  it('a refused upgrade (401) is a revocation: no retry loop', async () => {
    // Prepare
    const { cloud, clock, conn, events } = connection();
    cloud.upgradeStatus = 401;

    // Act
    conn.start();
    await until(() => events.revoked === 1, 'revoked');
    await clock.advance(60_000);

    // Assess
    expect(conn.state).toBe('off');
    expect(cloud.ops().filter((op) => op === 'openPush')).toHaveLength(1);
  });

  it('stop with goodbye says goodbye before closing; stop without it just closes', async () => {
    // Prepare
    const a = connection();
    a.conn.start();
    await flush();
    const b = connection();
    b.conn.start();
    await flush();

    // Act
    await a.conn.stop({ goodbye: true });
    await b.conn.stop({ goodbye: false });
    await a.clock.advance(3_600_000);

    // Assess
    expect(a.cloud.calls.slice(-2)).toEqual([{ op: 'send', action: 'goodbye' }, { op: 'close' }]);
    expect(b.cloud.calls.slice(-1)).toEqual([{ op: 'close' }]);
    expect(b.cloud.calls.some((c) => c.op === 'send')).toBe(false);
    expect(a.conn.state).toBe('off');
    expect(a.cloud.ops().filter((op) => op === 'openPush')).toHaveLength(1);
  });
});

describe('CloudConnection (poll)', () => {
  it('polls at the interval the cloud names, and stops polling when stopped', async () => {
    // Prepare
    const { cloud, clock, conn, events } = connection({ mode: 'poll' });
    cloud.pollIntervalSeconds = 3;

    // Act
    conn.start();
    await flush();
    await clock.advance(9_000);

    // Assess
    expect(conn.state).toBe('polling');
    expect(events.ready).toBe(4);
    await conn.stop({ goodbye: true });
    await clock.advance(60_000);
    expect(events.ready).toBe(4);
    expect(cloud.ops()).not.toContain('openPush');
  });
});
