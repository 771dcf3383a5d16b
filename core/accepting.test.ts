import { describe, expect, it } from 'vitest';
import { decideAccepting, offlineGraceExpired } from './accepting.ts';
import type { PrinterRecord } from './printer.ts';

const now = new Date('2026-03-01T12:00:00.000Z');

function printer(overrides: Partial<PrinterRecord> = {}): PrinterRecord {
  return {
    printerId: 'P1',
    name: 'Office',
    capabilities: {},
    acceptingJobs: true,
    acceptingReason: null,
    acceptingSetBy: 'printer',
    acceptingSetAt: '2026-03-01T00:00:00.000Z',
    state: 'idle',
    reasons: [],
    supplies: {},
    tokenHash: 'x',
    createdAt: '2026-03-01T00:00:00.000Z',
    updatedAt: '2026-03-01T00:00:00.000Z',
    ...overrides,
  };
}

const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();

describe('decideAccepting', () => {
  it('accepts when the printer said so', () => {
    // Act
    const decision = decideAccepting(printer(), now);
    // Assess
    expect(decision).toEqual({ accepting: true });
  });

  it('refuses with the reason the printer gave, or paused when it gave none', () => {
    // Act
    const toner = decideAccepting(printer({ acceptingJobs: false, acceptingReason: 'toner-empty' }), now);
    const none = decideAccepting(printer({ acceptingJobs: false, acceptingReason: null }), now);
    // Assess
    expect(toner).toMatchObject({ accepting: false, reason: 'toner-empty' });
    expect(none).toMatchObject({ accepting: false, reason: 'paused' });
    expect(toner.accepting === false && toner.message).toContain('Office');
  });

  it('keeps accepting for a printer that merely disconnected (claim 1) when no grace is set', () => {
    // Act
    const decision = decideAccepting(printer({ lastDisconnect: 'lost', lastSeenAt: hoursAgo(500) }), now);
    // Assess
    expect(decision.accepting).toBe(true);
  });
});

describe("the owner's offline grace", () => {
  const lost = { offlineGraceHours: 24, lastDisconnect: 'lost' as const, lastSeenAt: hoursAgo(25) };

  it('refuses with reason offline once a lost printer is away longer than the grace', () => {
    // Act
    const decision = decideAccepting(printer(lost), now);
    // Assess
    expect(decision).toMatchObject({ accepting: false, reason: 'offline' });
  });

  it('does not apply within the grace, after a goodbye, while connected, or when never seen', () => {
    // Act + Assess
    expect(offlineGraceExpired(printer({ ...lost, lastSeenAt: hoursAgo(23) }), now)).toBe(false);
    expect(offlineGraceExpired(printer({ ...lost, lastDisconnect: 'goodbye' }), now)).toBe(false);
    expect(offlineGraceExpired(printer({ ...lost, connectionId: 'c1' }), now)).toBe(false);
    expect(offlineGraceExpired(printer({ ...lost, lastSeenAt: null }), now)).toBe(false);
    expect(offlineGraceExpired(printer({ ...lost, offlineGraceHours: null }), now)).toBe(false);
  });
});
