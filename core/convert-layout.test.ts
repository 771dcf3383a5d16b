import { describe, expect, it } from 'vitest';
import { MARGIN_PT, MAX_DPI, MEDIA_SIZES_PT, placeImage } from './convert-layout.ts';

const A4 = MEDIA_SIZES_PT.iso_a4_210x297mm;
const LETTER = MEDIA_SIZES_PT['na_letter_8.5x11in'];

describe('MEDIA_SIZES_PT', () => {
  it('gives A4 and Letter in points', () => {
    // Assess
    expect(A4).toEqual({ width: 595.28, height: 841.89 });
    expect(LETTER).toEqual({ width: 612, height: 792 });
  });
});

describe('placeImage fit', () => {
  it('centres a portrait image inside the margins, keeping its aspect ratio', () => {
    // Prepare
    const source = { width: 300, height: 400 };

    // Act
    const placement = placeImage(source, { media: 'iso_a4_210x297mm', fit: 'fit' });

    // Assess
    expect(placement.rotate).toBe(false);
    expect(placement.crop).toBe(false);
    const { x, y, width, height } = placement.draw;
    expect(width / height).toBeCloseTo(300 / 400, 6);
    expect(width).toBeCloseTo(A4.width - 2 * MARGIN_PT, 6);
    expect(x).toBeCloseTo(MARGIN_PT, 6);
    expect(y).toBeGreaterThanOrEqual(MARGIN_PT);
    expect(y + height / 2).toBeCloseTo(A4.height / 2, 6);
    // a small image is never enlarged in pixels: the PDF scales it
    expect(placement.pixels).toEqual(source);
  });

  it('turns a landscape image on a portrait page', () => {
    // Act
    const placement = placeImage({ width: 400, height: 300 }, { media: 'na_letter_8.5x11in', fit: 'fit' });

    // Assess
    expect(placement.rotate).toBe(true);
    expect(placement.pixels).toEqual({ width: 300, height: 400 });
    expect(placement.draw.height).toBeGreaterThan(placement.draw.width);
    expect(placement.page).toEqual(LETTER);
  });

  it('downscales a large photo to at most 300 dpi at its printed size', () => {
    // Act
    const placement = placeImage({ width: 3000, height: 4000 }, { media: 'iso_a4_210x297mm', fit: 'fit' });

    // Assess
    const dpi = placement.pixels.width / (placement.draw.width / 72);
    expect(dpi).toBeLessThanOrEqual(MAX_DPI + 0.5);
    expect(dpi).toBeGreaterThan(MAX_DPI - 1);
    expect(placement.pixels.width / placement.pixels.height).toBeCloseTo(3 / 4, 3);
  });

  it('keeps at least one pixel on each side of a 20000×10 strip', () => {
    // Act
    const placement = placeImage({ width: 20000, height: 10 }, { media: 'iso_a4_210x297mm', fit: 'fit' });

    // Assess
    expect(placement.pixels.width).toBeGreaterThanOrEqual(1);
    expect(placement.pixels.height).toBeGreaterThanOrEqual(1);
    expect(placement.draw.height).toBeLessThanOrEqual(A4.height - 2 * MARGIN_PT + 1e-6);
  });
});

describe('placeImage fill', () => {
  it('covers the whole page and crops to the page aspect ratio', () => {
    // Act
    const placement = placeImage({ width: 3000, height: 3000 }, { media: 'iso_a4_210x297mm', fit: 'fill' });

    // Assess
    expect(placement.crop).toBe(true);
    expect(placement.draw).toEqual({ x: 0, y: 0, width: A4.width, height: A4.height });
    expect(placement.pixels.width / placement.pixels.height).toBeCloseTo(A4.width / A4.height, 2);
    expect(placement.pixels.height).toBeLessThanOrEqual(Math.ceil((A4.height / 72) * MAX_DPI));
  });

  it('crops a 1×1 image to nothing smaller than one pixel', () => {
    // Act
    const placement = placeImage({ width: 1, height: 1 }, { media: 'na_letter_8.5x11in', fit: 'fill' });

    // Assess
    expect(placement.pixels).toEqual({ width: 1, height: 1 });
    expect(placement.draw.width).toBe(LETTER.width);
  });
});
