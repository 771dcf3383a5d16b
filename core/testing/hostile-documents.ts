/**
 * Hostile documents for tests, built small and fast: a multi-page TIFF whose pages each claim 100
 * megapixels, and PDFs whose streams inflate far beyond their size (decompression bombs).
 */
import { constants, deflateRawSync, deflateSync } from 'node:zlib';

/**
 * A little-endian TIFF of `pages` pages of `width`×`height` 1-bit pixels. Every page points at the same
 * deflated strip of zeros, so the file stays near 100 KB however many gigapixels it claims.
 */
export function hugeTiff(pages: number, width: number, height: number): Buffer {
  const strip = deflateSync(Buffer.alloc(Math.ceil(width / 8) * height), { level: 9 });
  const entries = 8;
  const ifdSize = 2 + entries * 12 + 4;
  const stripOffset = 8;
  const firstIfd = stripOffset + strip.length + (strip.length % 2);
  const out = Buffer.alloc(firstIfd + pages * ifdSize);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(firstIfd, 4);
  strip.copy(out, stripOffset);
  for (let page = 0; page < pages; page++) {
    let at = firstIfd + page * ifdSize;
    out.writeUInt16LE(entries, at);
    at += 2;
    const tags: Array<[number, number, number]> = [
      [256, 4, width], // ImageWidth (LONG)
      [257, 4, height], // ImageLength
      [258, 3, 1], // BitsPerSample
      [259, 3, 8], // Compression: deflate
      [262, 3, 1], // Photometric: black is zero
      [273, 4, stripOffset], // StripOffsets
      [278, 4, height], // RowsPerStrip
      [279, 4, strip.length], // StripByteCounts
    ];
    for (const [tag, type, value] of tags) {
      out.writeUInt16LE(tag, at);
      out.writeUInt16LE(type, at + 2);
      out.writeUInt32LE(1, at + 4);
      if (type === 3) out.writeUInt16LE(value, at + 8);
      else out.writeUInt32LE(value, at + 8);
      at += 12;
    }
    out.writeUInt32LE(page + 1 < pages ? firstIfd + (page + 1) * ifdSize : 0, at);
  }
  return out;
}

/**
 * zlib data of `bytes` zeros (a multiple of 1 MiB), without compressing them: one full-flushed deflate
 * block of 1 MiB of zeros is byte-aligned and independent of what came before, so it is repeated.
 */
export function deflatedZeros(bytes: number): Buffer {
  const MiB = 1 << 20;
  const block = deflateRawSync(Buffer.alloc(MiB), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const last = deflateRawSync(Buffer.alloc(0), { level: 9 });
  const adler = Buffer.alloc(4);
  // Adler-32 of n zeros: a = 1, b = n mod 65521.
  adler.writeUInt32BE((((bytes % 65521) << 16) | 1) >>> 0);
  const blocks = Array.from({ length: Math.ceil(bytes / MiB) }, () => block);
  return Buffer.concat([Buffer.from([0x78, 0xda]), ...blocks, last, adler]);
}

/**
 * A one-page PDF whose object stream (as pdf-lib decodes while loading) inflates to `bytes` bytes:
 * zeros deflated twice (/Filter [/FlateDecode /FlateDecode]), so 1 GiB fits in a few KB.
 */
export async function pdfBomb(bytes: number): Promise<Buffer> {
  const inner = deflatedZeros(bytes);
  const data = deflateSync(inner, { level: 9 });
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let length = 0;
  const add = (chunk: string | Buffer) => {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    parts.push(buffer);
    length += buffer.length;
  };
  const object = (n: number, body: string | Buffer[]) => {
    offsets[n] = length;
    if (typeof body === 'string') add(`${n} 0 obj\n${body}\nendobj\n`);
    else {
      add(`${n} 0 obj\n`);
      for (const b of body) add(b);
      add('\nendobj\n');
    }
  };
  add('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
  object(1, '<< /Type /Catalog /Pages 2 0 R >>');
  object(2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>');
  object(3, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>');
  object(4, [
    Buffer.from(
      `<< /Type /ObjStm /N 1 /First 4 /Filter [/FlateDecode /FlateDecode] /Length ${data.length} >>\nstream\n`,
      'latin1',
    ),
    data,
    Buffer.from('\nendstream', 'latin1'),
  ]);
  const xref = length;
  add(`xref\n0 5\n0000000000 65535 f \n`);
  for (let n = 1; n <= 4; n++) add(`${String(offsets[n]).padStart(10, '0')} 00000 n \n`);
  add(`trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(parts);
}
