import { describe, expect, it } from 'vitest';
import { describeMime, sniffFormat } from './document-sniff.ts';

function bytesOf(...parts: (string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'string') for (const c of part) out.push(c.charCodeAt(0));
    else out.push(...part);
  }
  return Uint8Array.from(out);
}

/** An ISO-BMFF `ftyp` box with the given major and compatible brands. */
function ftyp(major: string, ...compatible: string[]): Uint8Array {
  const size = 16 + 4 * compatible.length;
  return bytesOf([0, 0, 0, size], 'ftyp', major, [0, 0, 0, 0], ...compatible, [0, 0, 0, 8], 'meta');
}

describe('sniffFormat', () => {
  it.each([
    ['image/jpeg', bytesOf([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF')],
    ['image/png', bytesOf([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], 'IHDR')],
    ['image/webp', bytesOf('RIFF', [1, 2, 3, 4], 'WEBPVP8 ')],
    ['image/gif', bytesOf('GIF89a', [1, 0, 1, 0])],
    ['image/gif', bytesOf('GIF87a', [1, 0, 1, 0])],
    ['image/tiff', bytesOf('II', [0x2a, 0, 8, 0, 0, 0])],
    ['image/tiff', bytesOf('MM', [0, 0x2a, 0, 0, 0, 8])],
    ['application/pdf', bytesOf('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')],
    ['image/heic', ftyp('heic', 'mif1', 'heic')],
    ['image/heic', ftyp('mif1', 'mif1', 'heix')],
    ['image/avif', ftyp('avif', 'mif1', 'avif', 'miaf')],
    ['image/avif', ftyp('mif1', 'mif1', 'avif')],
    ['application/zip', bytesOf('PK', [3, 4, 20, 0])],
  ])('recognises %s', (mime, bytes) => {
    // Act
    const format = sniffFormat(bytes);

    // Assess
    expect(format?.mime).toBe(mime);
  });

  it('finds a PDF header after leading junk within the first 1024 bytes', () => {
    // Prepare
    const bytes = bytesOf(' '.repeat(500), '%PDF-1.4\n');

    // Act / Assess
    expect(sniffFormat(bytes)?.mime).toBe('application/pdf');
  });

  it('does not look for a PDF header beyond 1024 bytes', () => {
    // Prepare
    const bytes = bytesOf(' '.repeat(1100), '%PDF-1.4\n');

    // Act / Assess
    expect(sniffFormat(bytes)).toBeUndefined();
  });

  it.each([
    ['empty', new Uint8Array()],
    ['text', bytesOf('hello, printer')],
    ['a lone JPEG SOI', bytesOf([0xff, 0xd8])],
    ['an ftyp of a video', ftyp('isom', 'isom', 'mp41')],
  ])('returns undefined for %s', (_label, bytes) => {
    // Act / Assess
    expect(sniffFormat(bytes)).toBeUndefined();
  });
});

describe('describeMime', () => {
  it('names known formats for people and leaves others as they are', () => {
    // Act / Assess
    expect(describeMime('image/png')).toBe('a PNG image');
    expect(describeMime('application/pdf')).toBe('a PDF document');
    expect(describeMime('text/x-unknown')).toBe('text/x-unknown');
  });
});
