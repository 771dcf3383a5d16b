/**
 * Where an image goes on the printed page, as pure arithmetic: page size, margins, orientation,
 * fit/fill geometry and the pixel size worth embedding. No image library here, so it is easy to test.
 */
import type { ConvertOptions, Media } from './print-options.ts';

export interface Size {
  width: number;
  height: number;
}

/** Page sizes in PostScript points (1/72 in): ISO A4 is 210×297 mm, US Letter 8.5×11 in. */
export const MEDIA_SIZES_PT: Readonly<Record<Media, Size>> = {
  iso_a4_210x297mm: { width: 595.28, height: 841.89 },
  'na_letter_8.5x11in': { width: 612, height: 792 },
};

/**
 * 1/4 in (6.35 mm) on every side for `fit`: wider than the unprintable edge of nearly every office and
 * photo printer (3–5 mm), so the whole picture is really printed and nothing is clipped by the device.
 */
export const MARGIN_PT = 18;

/** Printers resolve no more detail than this on paper; more pixels only make the PDF bigger and slower. */
export const MAX_DPI = 300;

const POINTS_PER_INCH = 72;

export interface ImagePlacement {
  page: Size;
  /** Turn the picture a quarter turn counter-clockwise so its long side follows the page's long side. */
  rotate: boolean;
  /** Pixel size to embed (after orientation and rotation); never larger than the source. */
  pixels: Size;
  /** `fill`: the pixels are a centred crop of the source with the page's aspect ratio. */
  crop: boolean;
  /** Where the image is drawn, in points from the page's bottom-left corner. */
  draw: { x: number; y: number; width: number; height: number };
}

function atMostMaxDpi(sourcePixels: Size, pointsPerPixel: number): Size {
  // pointsPerPixel·MAX_DPI/72 is how many source pixels per printed 1/300 in; below 1 we downscale.
  const factor = Math.min(1, (pointsPerPixel * MAX_DPI) / POINTS_PER_INCH);
  return {
    width: Math.max(1, Math.round(sourcePixels.width * factor)),
    height: Math.max(1, Math.round(sourcePixels.height * factor)),
  };
}

/**
 * `fit`: the whole image inside the printable area (page minus margins), aspect ratio kept, centred.
 * `fill`: the image covers the whole page, aspect ratio kept, the overflow cropped equally on both sides.
 * A landscape picture on a portrait page is turned, as photo printers do, so it is printed as large as it can be.
 */
export function placeImage(source: Size, options: Pick<ConvertOptions, 'media' | 'fit'>): ImagePlacement {
  const page = MEDIA_SIZES_PT[options.media];
  const sourceLandscape = source.width > source.height;
  const pageLandscape = page.width > page.height;
  const rotate = source.width !== source.height && sourceLandscape !== pageLandscape;
  const image = rotate ? { width: source.height, height: source.width } : source;

  if (options.fit === 'fill') {
    const scale = Math.max(page.width / image.width, page.height / image.height);
    const visible = {
      width: Math.min(image.width, page.width / scale),
      height: Math.min(image.height, page.height / scale),
    };
    return {
      page,
      rotate,
      pixels: atMostMaxDpi(visible, scale),
      crop: true,
      draw: { x: 0, y: 0, width: page.width, height: page.height },
    };
  }

  const box = { width: page.width - 2 * MARGIN_PT, height: page.height - 2 * MARGIN_PT };
  const scale = Math.min(box.width / image.width, box.height / image.height);
  const width = image.width * scale;
  const height = image.height * scale;
  return {
    page,
    rotate,
    pixels: atMostMaxDpi(image, scale),
    crop: false,
    draw: { x: (page.width - width) / 2, y: (page.height - height) / 2, width, height },
  };
}
