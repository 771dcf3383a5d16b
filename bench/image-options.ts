/**
 * What a page image costs and how close it stays to the source: a 12 MP camera JPEG embedded as it is
 * vs decoded, scaled to 300 dpi and re-encoded (what conversion did before); a 1920×1080 screenshot of
 * text as lossless Flate (what PNG pages get) vs a quality-88 JPEG. Run in-process, warm, median of n.
 */
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { convertDocument } from '../core/convert.ts';
import { placeImage } from '../core/convert-layout.ts';
import { median, ms } from './stats.ts';

const A4_FIT = { media: 'iso_a4_210x297mm', fit: 'fit', color: 'color' } as const;

async function timed<T>(n: number, run: () => Promise<T>): Promise<{ ms: number; result: T }> {
  let result = await run(); // warm
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    result = await run();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), result };
}

/** A camera-like photo: smooth gradients with fine noise, as JPEG quality 92. */
async function cameraJpeg(width: number, height: number): Promise<Buffer> {
  const noise = await sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 30 },
    },
  })
    .blur(1.2)
    .png({ compressionLevel: 1 })
    .toBuffer();
  return sharp(noise).jpeg({ quality: 92 }).toBuffer();
}

/** Black text on white, as a screenshot of a document or a chat. */
async function screenshotPng(): Promise<Buffer> {
  const lines = Array.from(
    { length: 40 },
    (_, i) =>
      `<text x="24" y="${30 + i * 26}" font-family="sans-serif" font-size="16">Line ${i + 1}: The quick brown fox jumps over the lazy dog 0123456789 — invoice total 1,234.56 EUR</text>`,
  ).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1920" height="1080"><rect width="100%" height="100%" fill="#fff"/>${lines}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Mean absolute difference per channel (0 = identical) between two rasters of the same size. */
async function meanError(a: Buffer, b: Buffer): Promise<number> {
  const ra = await sharp(a).removeAlpha().raw().toBuffer();
  const rb = await sharp(b).removeAlpha().raw().toBuffer();
  let sum = 0;
  for (let i = 0; i < ra.length; i++) sum += Math.abs((ra[i] ?? 0) - (rb[i] ?? 0));
  return sum / ra.length;
}

export async function imageOptionsBench(n: number): Promise<void> {
  const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
  const photo = await cameraJpeg(4000, 3000);
  const lossless = await timed(n, () => convertDocument(photo, 'image/jpeg', A4_FIT));
  const place = placeImage({ width: 4000, height: 3000 }, A4_FIT);
  const reencoded = await timed(n, async () => {
    const jpeg = await sharp(photo)
      .autoOrient()
      .rotate(place.rotate ? 270 : 0)
      .resize(place.pixels.width, place.pixels.height, { fit: 'fill' })
      .jpeg({ quality: 88 })
      .toBuffer();
    const doc = await PDFDocument.create();
    const image = await doc.embedJpg(jpeg);
    doc.addPage([place.page.width, place.page.height]).drawImage(image, place.draw);
    return doc.save();
  });

  const shot = await screenshotPng();
  const flate = await timed(n, () => convertDocument(shot, 'image/png', A4_FIT));
  const shotPlace = placeImage({ width: 1920, height: 1080 }, A4_FIT);
  const shotJpeg = await sharp(shot).rotate(270).jpeg({ quality: 88 }).toBuffer();
  const shotJpegTime = await timed(n, async () => {
    const jpeg = await sharp(shot)
      .rotate(shotPlace.rotate ? 270 : 0)
      .resize(shotPlace.pixels.width, shotPlace.pixels.height, { fit: 'fill' })
      .jpeg({ quality: 88 })
      .toBuffer();
    const doc = await PDFDocument.create();
    doc.addPage().drawImage(await doc.embedJpg(jpeg), shotPlace.draw);
    return doc.save();
  });
  const upright = await sharp(shot).rotate(270).png().toBuffer();
  const jpegError = await meanError(upright, shotJpeg);

  console.log(`4. Page images, median of ${n} warm conversions in this process`);
  console.log(
    '   | input                              | how                                  | time       | PDF       | error vs source        |',
  );
  console.log(
    '   | ---------------------------------- | ------------------------------------ | ---------- | --------- | ---------------------- |',
  );
  console.log(
    `   | 12 MP camera JPEG (${kb(photo.length).padStart(8)})      | as it is (DCTDecode, matrix)         | ${ms(lossless.ms).padEnd(10)} | ${kb(lossless.result.pdf.length).padEnd(9)} | 0 (same bytes)         |`,
  );
  console.log(
    `   |                                    | decode, 300 dpi, re-encode q88 (old) | ${ms(reencoded.ms).padEnd(10)} | ${kb(reencoded.result.length).padEnd(9)} | lossy                  |`,
  );
  console.log(
    `   | 1920×1080 text screenshot PNG      | lossless Flate (PNG predictors)      | ${ms(flate.ms).padEnd(10)} | ${kb(flate.result.pdf.length).padEnd(9)} | 0                      |`,
  );
  console.log(
    `   |                                    | JPEG q88                             | ${ms(shotJpegTime.ms).padEnd(10)} | ${kb(shotJpegTime.result.length).padEnd(9)} | ${`${jpegError.toFixed(2)} / 255 per channel`.padEnd(22)} |`,
  );
  console.log(
    `   as-it-is vs re-encode: ${(reencoded.ms / lossless.ms).toFixed(1)}× faster; screenshot: Flate is ${(shotJpegTime.result.length / flate.result.pdf.length).toFixed(1)}× smaller than JPEG and exact`,
  );
}
