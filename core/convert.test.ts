import { readFile } from 'node:fs/promises';
import { crc32, deflateSync } from 'node:zlib';
import {
  decodePDFRawStream,
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFName,
  type PDFPage,
  PDFRawStream,
  PDFRef,
  rgb,
} from 'pdf-lib';
import sharp, { type Color, type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  type ConvertOptions,
  conversionCount,
  convertDocument,
  DEFAULT_CONVERT_OPTIONS,
  normalizeContentType,
  SUPPORTED_CONTENT_TYPES,
} from './convert.ts';
import { heicToPng } from './convert-heic.ts';
import { MAX_IMAGE_PAGES } from './convert-image.ts';
import { MAX_EMBEDDED_PPI } from './convert-jpeg.ts';
import { MARGIN_PT, MEDIA_SIZES_PT } from './convert-layout.ts';
import { MAX_PDF_PAGES } from './convert-pdf.ts';
import {
  BadRequestError,
  HttpError,
  PayloadTooLargeError,
  UnprocessableDocumentError,
  UnsupportedMediaTypeError,
} from './errors.ts';
import { colourOnPage, renderPdfPage } from './testing/render-pdf.ts';

const A4 = MEDIA_SIZES_PT.iso_a4_210x297mm;
const LETTER = MEDIA_SIZES_PT['na_letter_8.5x11in'];
const RED = { r: 255, g: 0, b: 0 };
const BLUE = { r: 0, g: 0, b: 255 };

// ---------- inputs, made with sharp and pdf-lib ----------

function solid(width: number, height: number, background: Color, channels: 3 | 4 = 3): Sharp {
  return sharp({ create: { width, height, channels, background } });
}

/** Left half red, right half blue (so a turn of the picture shows where red ended up). */
async function halves(width: number, height: number): Promise<Sharp> {
  const blue = await solid(Math.floor(width / 2), height, BLUE)
    .png()
    .toBuffer();
  return solid(width, height, RED).composite([{ input: blue, left: Math.ceil(width / 2), top: 0 }]);
}

async function noisyJpeg(width: number, height: number, quality = 90): Promise<Buffer> {
  return sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .jpeg({ quality })
    .toBuffer();
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid PNG header claiming width×height, with only a few bytes of pixel data: a bomb's calling card. */
function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1024))),
    pngChunk('IEND', new Uint8Array()),
  ]);
}

async function pdfWithPages(count: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < count; i++)
    doc.addPage([300, 400]).drawRectangle({ x: 10, y: 10, width: 50, height: 50, color: rgb(1, 0, 0) });
  // pdf-lib adds a blank page to a document without any unless told not to
  return doc.save({ addDefaultPage: false });
}

// ---------- reading the output back ----------

interface EmbeddedImage {
  width: number;
  height: number;
  colorSpace: string;
  filter: string;
  bytes: Uint8Array;
}

function imagesOn(pdf: PDFDocument, page: PDFPage): EmbeddedImage[] {
  const xobjects = page.node.Resources()?.lookupMaybe(PDFName.of('XObject'), PDFDict);
  if (!xobjects) return [];
  const images: EmbeddedImage[] = [];
  for (const [, ref] of xobjects.entries()) {
    const stream = pdf.context.lookup(ref);
    if (!(stream instanceof PDFRawStream)) continue;
    if (stream.dict.get(PDFName.of('Subtype')) !== PDFName.of('Image')) continue;
    images.push({
      width: Number(stream.dict.get(PDFName.of('Width'))?.toString()),
      height: Number(stream.dict.get(PDFName.of('Height'))?.toString()),
      colorSpace: String(stream.dict.get(PDFName.of('ColorSpace'))),
      filter: String(stream.dict.get(PDFName.of('Filter'))),
      bytes: stream.contents,
    });
  }
  return images;
}

type Matrix = [number, number, number, number, number, number];

/** Where the page's image lands, in points: the unit square through every `cm` of its content stream. */
function imageBox(pdf: PDFDocument, page: PDFPage): { x: number; y: number; width: number; height: number } {
  const contents = page.node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray() : contents ? [contents] : [];
  let text = '';
  for (const item of streams) {
    const stream = item instanceof PDFRef ? pdf.context.lookup(item) : item;
    if (stream instanceof PDFRawStream) text += new TextDecoder().decode(decodePDFRawStream(stream).decode());
  }
  const matrices: Matrix[] = [];
  for (const m of text.matchAll(/(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) cm/g)) {
    matrices.push(m.slice(1, 7).map(Number) as Matrix);
  }
  expect(text).toMatch(/\/\S+ Do/);
  const apply = (x: number, y: number): [number, number] => {
    let p: [number, number] = [x, y];
    for (const [a, b, c, d, e, f] of matrices.toReversed())
      p = [a * p[0] + c * p[1] + e, b * p[0] + d * p[1] + f];
    return p;
  };
  const corners = [apply(0, 0), apply(1, 0), apply(0, 1), apply(1, 1)];
  const xs = corners.map((p) => p[0]);
  const ys = corners.map((p) => p[1]);
  return {
    x: Math.min(...xs),
    y: Math.min(...ys),
    width: Math.max(...xs) - Math.min(...xs),
    height: Math.max(...ys) - Math.min(...ys),
  };
}

/** The colour at a relative position (0..1) of an embedded JPEG. */
async function colourAt(jpeg: Uint8Array, fx: number, fy: number): Promise<number[]> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const x = Math.min(info.width - 1, Math.floor(fx * info.width));
  const y = Math.min(info.height - 1, Math.floor(fy * info.height));
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + info.channels)];
}

function isRed([r, g, b]: number[]): boolean {
  return (r ?? 0) > 200 && (g ?? 255) < 60 && (b ?? 255) < 60;
}

function isBlue([r, g, b]: number[]): boolean {
  return (r ?? 255) < 60 && (g ?? 255) < 60 && (b ?? 0) > 200;
}

async function rejection(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  const httpError = error as HttpError;
  // people read these messages: no libvips / pdf-lib internals
  expect(httpError.message).not.toMatch(/vips|sharp|pdf-lib|libheif|libpng|\bat \w+ \(/i);
  return httpError;
}

const A4_FIT: ConvertOptions = { media: 'iso_a4_210x297mm', fit: 'fit', color: 'color' };

// ---------- tests ----------

describe('exports', () => {
  it('lists the contract formats and defaults to A4, fit, colour', () => {
    // Assess
    expect([...SUPPORTED_CONTENT_TYPES].sort()).toEqual(
      [
        'application/pdf',
        'image/gif',
        'image/heic',
        'image/jpeg',
        'image/png',
        'image/tiff',
        'image/webp',
      ].sort(),
    );
    expect(DEFAULT_CONVERT_OPTIONS).toEqual({ media: 'iso_a4_210x297mm', fit: 'fit', color: 'color' });
  });

  it('normalizes Content-Type parameters, case and aliases', () => {
    // Act / Assess
    expect(normalizeContentType('Image/JPEG; charset=binary')).toBe('image/jpeg');
    expect(normalizeContentType('image/jpg')).toBe('image/jpeg');
    expect(normalizeContentType('image/heif')).toBe('image/heic');
    expect(normalizeContentType('text/plain')).toBe('text/plain');
  });

  it('counts every conversion it starts', async () => {
    // Prepare
    const before = conversionCount();

    // Act
    await convertDocument(await solid(8, 8, RED).png().toBuffer(), 'image/png', A4_FIT);
    await convertDocument(new Uint8Array(), 'image/png', A4_FIT).catch(() => undefined);

    // Assess
    expect(conversionCount() - before).toBe(2);
  });
});

describe('convertDocument images', () => {
  it('puts a JPEG on one A4 page inside the margins, centred, as an RGB JPEG image', async () => {
    // Prepare
    const jpeg = await solid(300, 400, RED).jpeg().toBuffer();

    // Act
    const result = await convertDocument(jpeg, 'image/jpeg', A4_FIT);

    // Assess
    expect(result.pages).toBe(1);
    expect(result.sourceFormat).toBe('image/jpeg');
    const pdf = await PDFDocument.load(result.pdf);
    expect(pdf.getPageCount()).toBe(1);
    const page = pdf.getPage(0);
    expect(page.getWidth()).toBeCloseTo(A4.width, 2);
    expect(page.getHeight()).toBeCloseTo(A4.height, 2);
    const [image, ...others] = imagesOn(pdf, page);
    expect(others).toEqual([]);
    expect(image?.filter).toBe('/DCTDecode');
    expect(image?.colorSpace).toBe('/DeviceRGB');
    expect([image?.width, image?.height]).toEqual([300, 400]);
    const box = imageBox(pdf, page);
    expect(box.width / box.height).toBeCloseTo(300 / 400, 3);
    expect(box.x).toBeCloseTo(MARGIN_PT, 2);
    expect(box.x + box.width).toBeCloseTo(A4.width - MARGIN_PT, 2);
    expect(box.y).toBeGreaterThanOrEqual(MARGIN_PT - 0.01);
    expect(box.y + box.height / 2).toBeCloseTo(A4.height / 2, 2);
  });

  it('sizes the page to Letter when asked', async () => {
    // Prepare
    const png = await solid(50, 50, RED).png().toBuffer();

    // Act
    const result = await convertDocument(png, 'image/png', { ...A4_FIT, media: 'na_letter_8.5x11in' });

    // Assess
    const page = (await PDFDocument.load(result.pdf)).getPage(0);
    expect(page.getSize()).toEqual({ width: LETTER.width, height: LETTER.height });
  });

  it('fill covers the whole page with an image cropped to the page aspect ratio', async () => {
    // Prepare
    const jpeg = await solid(1200, 1200, RED).jpeg().toBuffer();

    // Act
    const result = await convertDocument(jpeg, 'image/jpeg', { ...A4_FIT, fit: 'fill' });

    // Assess
    // Assess: the photo as it is, scaled to cover the page and centred (the clip path crops the overflow)
    const pdf = await PDFDocument.load(result.pdf);
    const page = pdf.getPage(0);
    const box = imageBox(pdf, page);
    expect(box.y).toBeCloseTo(0, 2);
    expect(box.height).toBeCloseTo(A4.height, 2);
    expect(box.width).toBeCloseTo(A4.height, 2);
    expect(box.x + box.width / 2).toBeCloseTo(A4.width / 2, 2);
    const [image] = imagesOn(pdf, page);
    expect([image?.width, image?.height]).toEqual([1200, 1200]);
    const rendered = await renderPdfPage(result.pdf);
    expect(isRed(colourOnPage(rendered, 0.01, 0.01))).toBe(true);
    expect(isRed(colourOnPage(rendered, 0.99, 0.99))).toBe(true);
  });

  it('monochrome embeds a one-channel /DeviceGray image', async () => {
    // Prepare
    const jpeg = await (await halves(400, 300)).jpeg().toBuffer();

    // Act
    const result = await convertDocument(jpeg, 'image/jpeg', { ...A4_FIT, color: 'monochrome' });

    // Assess
    const pdf = await PDFDocument.load(result.pdf);
    const [image] = imagesOn(pdf, pdf.getPage(0));
    expect(image?.colorSpace).toBe('/DeviceGray');
    expect((await sharp(image?.bytes).metadata()).channels).toBe(1);
  });

  it('applies EXIF orientation before layout', async () => {
    // Prepare: upright is 300×400 with red on top; stored turned a quarter counter-clockwise, EXIF 6 says turn it back
    const upright = await sharp(await (await halves(400, 300)).png().toBuffer())
      .rotate(90)
      .png()
      .toBuffer();
    expect(isRed(await colourAt(await sharp(upright).jpeg().toBuffer(), 0.5, 0.1))).toBe(true);
    const stored = await sharp(upright).rotate(270).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(stored).metadata()).width).toBe(400);

    // Act
    const result = await convertDocument(stored, 'image/jpeg', A4_FIT);

    // Assess
    // Assess: the stored pixels unchanged, turned upright by the page's matrix
    const pdf = await PDFDocument.load(result.pdf);
    const page = pdf.getPage(0);
    const [image] = imagesOn(pdf, page);
    expect([image?.width, image?.height]).toEqual([400, 300]);
    const box = imageBox(pdf, page);
    expect(box.width / box.height).toBeCloseTo(300 / 400, 3);
    const rendered = await renderPdfPage(result.pdf);
    expect(isRed(colourOnPage(rendered, 0.5, 0.3))).toBe(true);
    expect(isBlue(colourOnPage(rendered, 0.5, 0.7))).toBe(true);
  });

  it('turns a landscape picture a quarter counter-clockwise onto a portrait page', async () => {
    // Prepare: left half red
    const png = await (await halves(400, 300)).png().toBuffer();

    // Act
    const result = await convertDocument(png, 'image/png', A4_FIT);

    // Assess: the left edge went to the bottom
    const pdf = await PDFDocument.load(result.pdf);
    const [image] = imagesOn(pdf, pdf.getPage(0));
    expect([image?.width, image?.height]).toEqual([300, 400]);
    const rendered = await renderPdfPage(result.pdf);
    expect(isRed(colourOnPage(rendered, 0.5, 0.7))).toBe(true);
    expect(isBlue(colourOnPage(rendered, 0.5, 0.3))).toBe(true);
  });

  it('flattens a transparent PNG onto white', async () => {
    // Prepare
    const png = await solid(40, 40, { r: 0, g: 0, b: 0, alpha: 0 }, 4).png().toBuffer();

    // Act
    const result = await convertDocument(png, 'image/png', A4_FIT);

    // Assess
    const pdf = await PDFDocument.load(result.pdf);
    const [image] = imagesOn(pdf, pdf.getPage(0));
    expect(image?.filter).toBe('/FlateDecode');
    const [r, g, b] = colourOnPage(await renderPdfPage(result.pdf), 0.5, 0.5);
    expect(Math.min(r, g, b)).toBeGreaterThan(245);
  });

  it('converts WebP', async () => {
    // Prepare
    const webp = await solid(64, 48, BLUE).webp().toBuffer();

    // Act
    const result = await convertDocument(webp, 'image/webp', A4_FIT);

    // Assess
    const pdf = await PDFDocument.load(result.pdf);
    expect(result.sourceFormat).toBe('image/webp');
    expect(imagesOn(pdf, pdf.getPage(0))).toHaveLength(1);
  });

  it('prints the first frame of an animated GIF', async () => {
    // Prepare
    const frames = [await solid(32, 32, RED).png().toBuffer(), await solid(32, 32, BLUE).png().toBuffer()];
    const gif = await sharp(frames, { join: { animated: true } })
      .gif()
      .toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);

    // Act
    const result = await convertDocument(gif, 'image/gif', A4_FIT);

    // Assess
    expect(result.pages).toBe(1);
    expect(isRed(colourOnPage(await renderPdfPage(result.pdf), 0.5, 0.5))).toBe(true);
  });

  it('prints each page of a multi-page TIFF on its own page', async () => {
    // Prepare
    const pages = [await solid(300, 400, RED).png().toBuffer(), await solid(300, 400, BLUE).png().toBuffer()];
    const tiff = await sharp(pages, { join: { animated: true } })
      .tiff()
      .toBuffer();

    // Act
    const result = await convertDocument(tiff, 'image/tiff', { ...A4_FIT, media: 'na_letter_8.5x11in' });

    // Assess
    expect(result.pages).toBe(2);
    const pdf = await PDFDocument.load(result.pdf);
    expect(pdf.getPageCount()).toBe(2);
    const first = imagesOn(pdf, pdf.getPage(0))[0];
    const second = imagesOn(pdf, pdf.getPage(1))[0];
    expect(isRed(await colourAt(first?.bytes ?? new Uint8Array(), 0.5, 0.5))).toBe(true);
    expect(isBlue(await colourAt(second?.bytes ?? new Uint8Array(), 0.5, 0.5))).toBe(true);
    expect(pdf.getPage(1).getSize()).toEqual({ width: LETTER.width, height: LETTER.height });
  });

  it('embeds a 3000×4000 photo as it is (387 pixels per printed inch, under the re-encoding threshold)', async () => {
    // Prepare
    const jpeg = await solid(3000, 4000, RED).jpeg().toBuffer();

    // Act
    const result = await convertDocument(jpeg, 'image/jpeg', A4_FIT);

    // Assess
    const pdf = await PDFDocument.load(result.pdf);
    const [image] = imagesOn(pdf, pdf.getPage(0));
    expect([image?.width, image?.height]).toEqual([3000, 4000]);
    expect(image?.filter).toBe('/DCTDecode');
  });

  it(`re-encodes a photo beyond ${MAX_EMBEDDED_PPI} pixels per printed inch at 300 dpi`, async () => {
    // Prepare: a 16000×1000 panorama spans A4's long side (11.2 in): 1,430 ppi
    const jpeg = await noisyJpeg(16000, 1000, 70);

    // Act
    const result = await convertDocument(jpeg, 'image/jpeg', A4_FIT);

    // Assess
    const pdf = await PDFDocument.load(result.pdf);
    const page = pdf.getPage(0);
    const [image] = imagesOn(pdf, page);
    const dpi = (image?.height ?? 0) / (imageBox(pdf, page).height / 72);
    expect(dpi).toBeLessThanOrEqual(300.5);
    expect(dpi).toBeGreaterThan(295);
  });

  it('prints a 1×1 PNG', async () => {
    // Prepare
    const png = await solid(1, 1, RED).png().toBuffer();

    // Act
    const result = await convertDocument(png, 'image/png', { ...A4_FIT, fit: 'fill' });

    // Assess
    const pdf = await PDFDocument.load(result.pdf);
    const [image] = imagesOn(pdf, pdf.getPage(0));
    expect([image?.width, image?.height]).toEqual([1, 1]);
  });

  it('prints a 20000×10 strip', async () => {
    // Prepare
    const png = await solid(20000, 10, BLUE).png().toBuffer();

    // Act
    const result = await convertDocument(png, 'image/png', A4_FIT);

    // Assess
    const pdf = await PDFDocument.load(result.pdf);
    const page = pdf.getPage(0);
    const [image] = imagesOn(pdf, page);
    expect(image?.height).toBeLessThanOrEqual(Math.ceil(((A4.height - 2 * MARGIN_PT) / 72) * 300));
    expect(image?.width).toBeGreaterThanOrEqual(1);
    expect(imageBox(pdf, page).height).toBeLessThanOrEqual(A4.height - 2 * MARGIN_PT + 0.01);
  });
});

describe('convertDocument PDF', () => {
  it('passes a valid PDF through byte for byte and counts its pages', async () => {
    // Prepare
    const bytes = await pdfWithPages(3);

    // Act
    const result = await convertDocument(bytes, 'application/pdf', DEFAULT_CONVERT_OPTIONS);

    // Assess
    expect(result.pages).toBe(3);
    expect(result.sourceFormat).toBe('application/pdf');
    expect(Buffer.from(result.pdf).equals(Buffer.from(bytes))).toBe(true);
    expect((await PDFDocument.load(result.pdf)).getPageCount()).toBe(3);
  });

  it('refuses a password-protected PDF with 422', async () => {
    // Prepare: an /Encrypt dictionary in the trailer is what makes a PDF encrypted
    const doc = await PDFDocument.create();
    doc.addPage();
    doc.context.trailerInfo.Encrypt = doc.context.register(
      doc.context.obj({ Filter: 'Standard', V: 2, R: 3, Length: 128, P: -4 }),
    );
    const bytes = await doc.save();

    // Act
    const error = await rejection(convertDocument(bytes, 'application/pdf', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(UnprocessableDocumentError);
    expect(error.statusCode).toBe(422);
    expect(error.message).toMatch(/password-protected/);
  });

  it('refuses a PDF without pages with 422', async () => {
    // Prepare
    const bytes = await pdfWithPages(0);

    // Act
    const error = await rejection(convertDocument(bytes, 'application/pdf', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(UnprocessableDocumentError);
    expect(error.message).toMatch(/no pages/);
  });

  it(`refuses a PDF of more than ${MAX_PDF_PAGES} pages with 413`, async () => {
    // Prepare
    const bytes = await pdfWithPages(MAX_PDF_PAGES + 1);

    // Act
    const error = await rejection(convertDocument(bytes, 'application/pdf', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error.statusCode).toBe(413);
    expect(error.message).toContain(String(MAX_PDF_PAGES));
  });

  it('refuses a PDF header followed by garbage with 422', async () => {
    // Prepare
    const bytes = new TextEncoder().encode('%PDF-1.7\nthis is not really a PDF at all\n%%EOF\n');

    // Act
    const error = await rejection(convertDocument(bytes, 'application/pdf', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(UnprocessableDocumentError);
  });

  it('refuses a truncated PDF with 422', async () => {
    // Prepare
    const whole = await pdfWithPages(2);
    const bytes = whole.subarray(0, 200);

    // Act
    const error = await rejection(convertDocument(bytes, 'application/pdf', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(UnprocessableDocumentError);
  });
});

describe('convertDocument Content-Type and magic bytes', () => {
  it('refuses an unknown Content-Type with 415 listing the supported ones', async () => {
    // Act
    const error = await rejection(convertDocument(new TextEncoder().encode('hello'), 'text/plain', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(error.statusCode).toBe(415);
    for (const type of SUPPORTED_CONTENT_TYPES) expect(error.message).toContain(type);
    expect(error.details.supported).toEqual([...SUPPORTED_CONTENT_TYPES]);
  });

  it('refuses an empty body with 422', async () => {
    // Act
    const error = await rejection(convertDocument(new Uint8Array(), 'image/jpeg', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(UnprocessableDocumentError);
    expect(error.message).toMatch(/empty/);
  });

  it('names both formats when the data is not what the Content-Type says', async () => {
    // Prepare
    const jpeg = await solid(8, 8, RED).jpeg().toBuffer();

    // Act
    const error = await rejection(convertDocument(jpeg, 'image/png', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(error.message).toContain('Content-Type says image/png but the data is a JPEG image');
    expect(error.details).toMatchObject({ declared: 'image/png', detected: 'image/jpeg' });
  });

  it('refuses an unsupported format sent under a supported Content-Type with 415', async () => {
    // Prepare
    const avif = await solid(16, 16, RED).avif().toBuffer();

    // Act
    const error = await rejection(convertDocument(avif, 'image/heic', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(error.message).toMatch(/image\/heic but the data is an AVIF image; that format is not supported/);
  });

  it('refuses bytes that match no format with 422 naming the declared one', async () => {
    // Act
    const error = await rejection(
      convertDocument(new TextEncoder().encode('not an image'), 'image/png', A4_FIT),
    );

    // Assess
    expect(error).toBeInstanceOf(UnprocessableDocumentError);
    expect(error.message).toMatch(/image\/png but the data is not a PNG image/);
  });

  it('accepts Content-Type aliases and parameters', async () => {
    // Prepare
    const jpeg = await solid(8, 8, RED).jpeg().toBuffer();

    // Act
    const result = await convertDocument(jpeg, 'Image/JPG; name=photo.jpg', A4_FIT);

    // Assess
    expect(result.sourceFormat).toBe('image/jpeg');
  });

  it('refuses options outside the contract with 400', async () => {
    // Prepare
    const jpeg = await solid(8, 8, RED).jpeg().toBuffer();
    const options = { ...A4_FIT, media: 'iso_a3_297x420mm' } as unknown as ConvertOptions;

    // Act
    const error = await rejection(convertDocument(jpeg, 'image/jpeg', options));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
  });
});

describe('convertDocument HEIC', () => {
  it('this deployment has no HEVC decoder: sharp reads only AVIF through libheif', () => {
    // Assess: sharp's prebuilt libvips ships libheif with the AV1 codec only
    expect(sharp.format.heif.input.fileSuffix).not.toContain('.heic');
  });

  it('prints a HEIC photo (HEVC, as an iPhone writes it) decoded in WebAssembly', async () => {
    // Prepare: 400×300, its left 130 columns red, made by libheif's heif-enc (x265)
    const heic = await readFile(new URL('../test/fixtures/heic/red-left-400x300.heic', import.meta.url));
    expect((await sharp(heic).metadata()).compression).toBe('hevc');

    // Act
    const result = await convertDocument(heic, 'image/heic', A4_FIT);

    // Assess: one page; the landscape photo turned onto the portrait page, its left edge now at the bottom
    const pdf = await PDFDocument.load(result.pdf);
    expect(result.pages).toBe(1);
    expect(result.sourceFormat).toBe('image/heic');
    const [image] = imagesOn(pdf, pdf.getPage(0));
    expect([image?.width, image?.height]).toEqual([300, 400]);
    // as printed: down the page's middle, red only in its lower half (the photo's left third, turned)
    const page = await renderPdfPage(result.pdf, 1, 36);
    const rows = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);
    const red = rows.filter((fy) => isRed(colourOnPage(page, 0.5, fy)));
    expect(red.length).toBeGreaterThan(5);
    expect(red.every((fy) => fy > 0.5)).toBe(true);
  });

  it('answers a truncated HEIC 422 and one too large to decode 413', async () => {
    // Prepare
    const heic = await readFile(new URL('../test/fixtures/heic/red-left-400x300.heic', import.meta.url));

    // Act
    const truncated = await rejection(convertDocument(heic.subarray(0, 600), 'image/heic', A4_FIT));
    const tooLarge = await rejection(heicToPng(heic, 400 * 300 - 1));

    // Assess
    expect(truncated.statusCode).toBe(422);
    expect(truncated.message).toMatch(/HEIC image could not be read/);
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.message).toMatch(/400×300 pixels/);
  });

  it('names the right Content-Type when a HEIC photo is labelled image/jpeg', async () => {
    // Prepare
    const heic = await readFile(new URL('../test/fixtures/heic/red-left-400x300.heic', import.meta.url));

    // Act
    const error = await rejection(convertDocument(heic, 'image/jpeg', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(error.message).toMatch(/send it with Content-Type: image\/heic/);
  });
});

describe('convertDocument unusual encodings', () => {
  it('embeds a CMYK JPEG (Adobe, stored inverted) as it is, with the Decode array that prints it in its colours', async () => {
    // Prepare
    const cmyk = await solid(64, 64, RED).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');

    // Act
    const result = await convertDocument(cmyk, 'image/jpeg', A4_FIT);

    // Assess
    const pdf = await PDFDocument.load(result.pdf);
    const [image] = imagesOn(pdf, pdf.getPage(0));
    expect(image?.colorSpace).toBe('/DeviceCMYK');
    expect(isRed(colourOnPage(await renderPdfPage(result.pdf), 0.5, 0.5))).toBe(true);
  });

  it('converts a 16-bit PNG to an 8-bit page image', async () => {
    // Prepare
    const png16 = await solid(64, 64, BLUE).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');

    // Act
    const result = await convertDocument(png16, 'image/png', A4_FIT);

    // Assess
    expect(isBlue(colourOnPage(await renderPdfPage(result.pdf), 0.5, 0.5))).toBe(true);
  });
});

describe('convertDocument hostile images', () => {
  it('refuses a tiny file claiming 50000×50000 pixels with 413 before decoding', async () => {
    // Prepare
    const bomb = pngClaiming(50_000, 50_000);
    expect(bomb.length).toBeLessThan(2000);

    // Act
    const started = performance.now();
    const error = await rejection(convertDocument(bomb, 'image/png', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error.message).toMatch(/50000×50000 pixels; the limit is 100 megapixels/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('refuses a real image just over the pixel limit with 413', async () => {
    // Prepare: 10001×10000 of one colour compresses to a few hundred KB
    const png = await solid(10_001, 10_000, RED).png({ compressionLevel: 9 }).toBuffer();

    // Act
    const error = await rejection(convertDocument(png, 'image/png', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(PayloadTooLargeError);
  });

  it('refuses a truncated JPEG with 422', async () => {
    // Prepare
    const jpeg = await noisyJpeg(400, 300);
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));

    // Act
    const error = await rejection(convertDocument(truncated, 'image/jpeg', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(UnprocessableDocumentError);
    expect(error.message).toBe('The JPEG image could not be read: it is damaged or truncated');
  });

  it('refuses a PNG with corrupt pixel data with 422', async () => {
    // Prepare: a header claiming 64×64 whose IDAT holds bytes that are not zlib data
    const png = pngClaiming(64, 64);
    const idat = png.indexOf('IDAT', 0, 'latin1');
    png.fill(0x55, idat + 4, idat + 20);

    // Act
    const error = await rejection(convertDocument(png, 'image/png', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(UnprocessableDocumentError);
  });

  it(`refuses a TIFF of more than ${MAX_IMAGE_PAGES} pages with 413`, async () => {
    // Prepare
    const page = await solid(4, 4, RED).png().toBuffer();
    const tiff = await sharp(
      Array.from({ length: MAX_IMAGE_PAGES + 1 }, () => page),
      { join: { animated: true } },
    )
      .tiff()
      .toBuffer();

    // Act
    const error = await rejection(convertDocument(tiff, 'image/tiff', A4_FIT));

    // Assess
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error.message).toContain(`${MAX_IMAGE_PAGES + 1} pages`);
  });
});
