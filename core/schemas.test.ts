import { describe, expect, it } from 'vitest';
import { printerIdSchema, printOptionsSchema, statusBodySchema } from './schemas.ts';

describe('printerIdSchema', () => {
  it('takes 2–64 characters of [A-Za-z0-9._-] only (the contract examples use P1)', () => {
    // Act + Assess
    expect(printerIdSchema.safeParse('P1.a_b-c').success).toBe(true);
    expect(printerIdSchema.safeParse('P1').success).toBe(true);
    expect(printerIdSchema.safeParse('P').success).toBe(false);
    expect(printerIdSchema.safeParse('x'.repeat(65)).success).toBe(false);
    expect(printerIdSchema.safeParse('a/b').success).toBe(false);
  });
});

describe('printOptionsSchema', () => {
  it('fills the defaults and reads numbers from the query', () => {
    // Act
    const empty = printOptionsSchema.parse({});
    const given = printOptionsSchema.parse({
      copies: '3',
      fit: 'fill',
      color: 'monochrome',
      title: ' Notes ',
    });
    // Assess
    expect(empty).toEqual({ copies: 1, media: 'iso_a4_210x297mm', fit: 'fit', color: 'color' });
    expect(given).toMatchObject({ copies: 3, fit: 'fill', color: 'monochrome', title: 'Notes' });
    expect(printOptionsSchema.safeParse({ copies: '0' }).success).toBe(false);
    expect(printOptionsSchema.safeParse({ copies: '1.5' }).success).toBe(false);
  });
});

describe('statusBodySchema', () => {
  it('takes IPP states and keyword reasons', () => {
    // Act + Assess
    expect(statusBodySchema.parse({ state: 'idle' })).toEqual({ state: 'idle', reasons: [] });
    expect(statusBodySchema.safeParse({ state: 'idle', reasons: ['Toner Low'] }).success).toBe(false);
  });
});
