/**
 * A PNG that sharp wrote (non-interlaced, gray or RGB, no palette) onto a PDF page without decoding it:
 * its IDAT data is a zlib stream of filtered rows, which PDF's FlateDecode reads as it is with PNG
 * predictors (DecodeParms /Predictor 15). Lossless and no deflate in JavaScript.
 */
import {
  concatTransformationMatrix,
  drawObject,
  type PDFDocument,
  popGraphicsState,
  pushGraphicsState,
} from 'pdf-lib';
import type { ImagePlacement } from './convert-layout.ts';

export interface PngStream {
  width: number;
  height: number;
  colors: 1 | 3;
  bitsPerComponent: number;
  /** The IDAT chunks' data, joined. */
  data: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function pngStream(png: Uint8Array): PngStream {
  if (!SIGNATURE.every((b, i) => png[i] === b)) throw new Error('not a PNG');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const parts: Uint8Array[] = [];
  let header: Omit<PngStream, 'data'> | undefined;
  let pos = 8;
  while (pos + 8 <= png.length) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...png.subarray(pos + 4, pos + 8));
    const data = png.subarray(pos + 8, pos + 8 + length);
    if (type === 'IHDR') {
      const colorType = data[9];
      if ((colorType !== 0 && colorType !== 2) || data[12] !== 0) {
        throw new Error(
          `PNG colour type ${colorType} / interlace ${data[12]} cannot go into the PDF as it is`,
        );
      }
      header = {
        width: view.getUint32(pos + 8),
        height: view.getUint32(pos + 12),
        bitsPerComponent: data[8] ?? 8,
        colors: colorType === 0 ? 1 : 3,
      };
    } else if (type === 'IDAT') parts.push(data);
    else if (type === 'IEND') break;
    pos += 12 + length;
  }
  if (!header || parts.length === 0) throw new Error('PNG without IHDR or IDAT');
  return { ...header, data: Buffer.concat(parts) };
}

export function addPngPage(doc: PDFDocument, png: PngStream, placement: ImagePlacement): void {
  const stream = doc.context.stream(png.data, {
    Type: 'XObject',
    Subtype: 'Image',
    Width: png.width,
    Height: png.height,
    ColorSpace: png.colors === 1 ? 'DeviceGray' : 'DeviceRGB',
    BitsPerComponent: png.bitsPerComponent,
    Filter: 'FlateDecode',
    DecodeParms: {
      Predictor: 15,
      Colors: png.colors,
      BitsPerComponent: png.bitsPerComponent,
      Columns: png.width,
    },
  });
  const ref = doc.context.register(stream);
  const page = doc.addPage([placement.page.width, placement.page.height]);
  const name = page.node.newXObject('Picture', ref);
  const { x, y, width, height } = placement.draw;
  page.pushOperators(
    pushGraphicsState(),
    concatTransformationMatrix(width, 0, 0, height, x, y),
    drawObject(name),
    popGraphicsState(),
  );
}
