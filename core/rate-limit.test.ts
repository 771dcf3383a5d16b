import { describe, expect, it } from 'vitest';
import { TooManyRequestsError } from './errors.ts';
import { RATE_LIMITS, sourceOf } from './rate-limit.ts';
import { claimRegistration, startRegistration } from './registration.ts';
import { memoryPorts } from './testing/memory-ports.ts';

describe('rate limits per source', () => {
  it("refuses one source's registrations past the limit with retryAfter, never another source's", async () => {
    // Prepare
    const ports = memoryPorts();
    const { limit, windowSeconds } = RATE_LIMITS.registrations;
    for (let i = 0; i < limit; i++) await startRegistration(ports, { printerId: `P${i}` }, '203.0.113.1');
    // Act
    const refused = await startRegistration(ports, { printerId: 'PX' }, '203.0.113.1').catch((e) => e);
    const other = await startRegistration(ports, { printerId: 'PY' }, '203.0.113.2');
    ports.advance(windowSeconds * 1000);
    const nextWindow = await startRegistration(ports, { printerId: 'PZ' }, '203.0.113.1');
    // Assess
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect(refused.code).toBe('rate-limited');
    expect(refused.details.retryAfter).toBeGreaterThan(0);
    expect(refused.details.retryAfter).toBeLessThanOrEqual(windowSeconds);
    expect(ports.registrations.items.size).toBe(limit + 2);
    expect(other.pin).toBeTruthy();
    expect(nextWindow.pin).toBeTruthy();
  });

  it('limits PIN-only guesses per source before any PIN is compared', async () => {
    // Prepare
    const ports = memoryPorts();
    const started = await startRegistration(ports, { printerId: 'P1' });
    for (let i = 0; i < RATE_LIMITS.pinGuesses.limit; i++)
      await claimRegistration(ports, { pin: 'ZZZZ-ZZZZ' }, '203.0.113.1').catch(() => undefined);
    // Act
    const guesser = await claimRegistration(ports, { pin: started.pin }, '203.0.113.1').catch((e) => e);
    const owner = await claimRegistration(ports, { pin: started.pin }, '203.0.113.2');
    // Assess
    expect(guesser).toBeInstanceOf(TooManyRequestsError);
    expect(guesser.code).toBe('rate-limited');
    expect(owner).toEqual({ printerId: 'P1' });
  });
});

describe('sourceOf', () => {
  it('counts IPv4 by address and IPv6 by its /64', () => {
    // Act
    const sources = [
      sourceOf('203.0.113.5'),
      sourceOf('::ffff:203.0.113.5'),
      sourceOf('2001:db8:1:2:aaaa::1'),
      sourceOf('2001:0DB8:0001:0002:ffff:1:2:3'),
      sourceOf('2001:db8::1'),
      sourceOf(undefined),
    ];
    // Assess
    expect(sources).toEqual([
      '203.0.113.5',
      '203.0.113.5',
      '2001:db8:1:2::/64',
      '2001:db8:1:2::/64',
      '2001:db8:0:0::/64',
      'unknown',
    ]);
  });
});
