import { describe, expect, it } from 'vitest';
import { newJobId, newRegistrationId } from './ids.ts';

describe('newJobId', () => {
  it('sorts by creation time, even across digit-count changes of the clock', () => {
    // Prepare
    const times = [
      new Date(1_000),
      new Date(1_700_000_000_000),
      new Date(1_700_000_000_001),
      new Date(4_000_000_000_000),
    ];
    // Act
    const ids = times.map(newJobId);
    // Assess
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids.map((id) => id.length)).size).toBe(1);
  });

  it('differs for two jobs in the same millisecond and fits a path segment', () => {
    // Prepare
    const now = new Date('2026-01-01T00:00:00.000Z');
    // Act
    const a = newJobId(now);
    const b = newJobId(now);
    // Assess
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-z0-9]{20}$/);
  });
});

describe('newRegistrationId', () => {
  it('is unguessable (128 bits) and URL-safe', () => {
    // Act
    const id = newRegistrationId();
    // Assess
    expect(id).toMatch(/^r[A-Za-z0-9_-]{22}$/);
  });
});
