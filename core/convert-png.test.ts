import { crc32 } from 'node:zlib';
import { PDFDict, PDFDocument, PDFName, PDFRawStream } from 'pdf-lib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { convertDocument } from './convert.ts';
import type { ConvertOptions } from './ports.ts';

const A4_FIT: ConvertOptions = { media: 'iso_a4_210x297mm', fit: 'fit', color: 'color' };

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** The PDF's image stream wrapped back into a PNG, so an independent decoder (libspng) reads its pixels. */
function asPng(stream: PDFRawStream): Buffer {
  const number = (key: string) => Number(stream.dict.get(PDFName.of(key))?.toString());
  const colors = stream.dict.get(PDFName.of('ColorSpace')) === PDFName.of('DeviceGray') ? 1 : 3;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(number('Width'), 0);
  ihdr.writeUInt32BE(number('Height'), 4);
  ihdr.set([number('BitsPerComponent'), colors === 1 ? 0 : 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', stream.contents),
    chunk('IEND', new Uint8Array()),
  ]);
}

describe('a PNG page', () => {
  it('is embedded losslessly: Flate with PNG predictors, every pixel as in the source', async () => {
    // Prepare: one-pixel black lines on white, what JPEG smears
    const width = 300;
    const height = 400;
    const raw = Buffer.alloc(width * height * 3, 255);
    for (let y = 0; y < height; y += 3)
      for (let x = 0; x < width; x++) raw.fill(0, (y * width + x) * 3, (y * width + x) * 3 + 3);
    for (let i = 0; i < 3 * width * 10; i += 3) raw[i] = 200; // a coloured band at the top
    const png = await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();

    // Act
    const result = await convertDocument(png, 'image/png', A4_FIT);

    // Assess
    const pdf = await PDFDocument.load(result.pdf);
    const xobjects = pdf.getPage(0).node.Resources()?.lookupMaybe(PDFName.of('XObject'), PDFDict);
    const [ref] = [...(xobjects?.entries() ?? [])].map(([, r]) => r);
    const stream = pdf.context.lookup(ref);
    expect(stream).toBeInstanceOf(PDFRawStream);
    const image = stream as PDFRawStream;
    expect(image.dict.get(PDFName.of('Filter'))).toBe(PDFName.of('FlateDecode'));
    const parms = image.dict.lookup(PDFName.of('DecodeParms'), PDFDict);
    expect(parms.get(PDFName.of('Predictor'))?.toString()).toBe('15');
    const decoded = await sharp(asPng(image)).raw().toBuffer();
    expect(decoded.equals(raw)).toBe(true);
  });
});
