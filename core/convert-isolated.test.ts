import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { conversionWorkersStarted, convertIsolated, MAX_CONVERSION_WORKERS } from './convert-isolated.ts';
import type { ConvertOptions } from './ports.ts';

const A4_FIT: ConvertOptions = { media: 'iso_a4_210x297mm', fit: 'fit', color: 'color' };

describe('convertIsolated under concurrent requests', () => {
  it(`runs at most ${MAX_CONVERSION_WORKERS} workers and reuses them: 12 concurrent conversions, twice`, async () => {
    // Prepare
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#36c' } })
      .png()
      .toBuffer();
    const before = conversionWorkersStarted();

    // Act
    const first = await Promise.all(
      Array.from({ length: 12 }, () => convertIsolated(png, 'image/png', A4_FIT)),
    );
    const second = await Promise.all(
      Array.from({ length: 12 }, () => convertIsolated(png, 'image/png', A4_FIT)),
    );

    // Assess
    expect([...first, ...second].every((r) => r.pages === 1)).toBe(true);
    expect(conversionWorkersStarted() - before).toBeLessThanOrEqual(MAX_CONVERSION_WORKERS);
  });
});
