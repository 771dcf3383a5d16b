/**
 * What a document really is, read from its first bytes. The Content-Type header is what the caller
 * claims; these magic numbers are what decoders will see, so a mismatch is caught before any work.
 */

export interface SniffedFormat {
  /** Canonical MIME type, the same spelling as the supported Content-Types. */
  mime: string;
  /** A name people recognise, for error messages ("the data is a JPEG image"). */
  name: string;
}

const JPEG: SniffedFormat = { mime: 'image/jpeg', name: 'a JPEG image' };
const PNG: SniffedFormat = { mime: 'image/png', name: 'a PNG image' };
const WEBP: SniffedFormat = { mime: 'image/webp', name: 'a WebP image' };
const GIF: SniffedFormat = { mime: 'image/gif', name: 'a GIF image' };
const TIFF: SniffedFormat = { mime: 'image/tiff', name: 'a TIFF image' };
const HEIC: SniffedFormat = { mime: 'image/heic', name: 'a HEIC image' };
const AVIF: SniffedFormat = { mime: 'image/avif', name: 'an AVIF image' };
const PDF: SniffedFormat = { mime: 'application/pdf', name: 'a PDF document' };
const BMP: SniffedFormat = { mime: 'image/bmp', name: 'a BMP image' };
const ZIP: SniffedFormat = { mime: 'application/zip', name: 'a ZIP archive (such as a Word or Excel file)' };

/** ISO-BMFF brands of HEVC-coded HEIF ("HEIC") files; `mif1`/`msf1` alone say only "some HEIF". */
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_BRANDS = new Set(['mif1', 'msf1']);

/** PDF readers accept `%PDF-` anywhere in the first 1024 bytes (some generators prepend junk). */
const PDF_HEADER_WINDOW = 1024;

function startsWith(bytes: Uint8Array, signature: readonly number[], at = 0): boolean {
  if (bytes.length < at + signature.length) return false;
  return signature.every((b, i) => bytes[at + i] === b);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

function sniffIsoBmff(bytes: Uint8Array): SniffedFormat | undefined {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== 'ftyp') return undefined;
  const boxSize =
    ((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  const end = Math.min(bytes.length, Math.max(16, boxSize));
  // major brand at 8, minor version at 12, compatible brands from 16 to the end of the box
  const brands = [ascii(bytes, 8, 12)];
  for (let i = 16; i + 4 <= end; i += 4) brands.push(ascii(bytes, i, i + 4));
  if (AVIF_BRANDS.has(brands[0] ?? '')) return AVIF;
  if (brands.some((b) => HEIC_BRANDS.has(b))) return HEIC;
  if (brands.some((b) => AVIF_BRANDS.has(b))) return AVIF;
  if (brands.some((b) => HEIF_BRANDS.has(b))) return HEIC;
  return undefined;
}

function sniffPdf(bytes: Uint8Array): boolean {
  const window = bytes.subarray(0, PDF_HEADER_WINDOW);
  for (let i = 0; i + 5 <= window.length; i++) {
    if (window[i] === 0x25 && ascii(window, i, i + 5) === '%PDF-') return true;
  }
  return false;
}

/** The format the bytes are in, or undefined when they match no signature we know. */
export function sniffFormat(bytes: Uint8Array): SniffedFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return JPEG;
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return PNG;
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8))
    return WEBP;
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) return GIF;
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return TIFF;
  // BigTIFF: libtiff reads it too
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) return TIFF;
  const isoBmff = sniffIsoBmff(bytes);
  if (isoBmff) return isoBmff;
  if (sniffPdf(bytes)) return PDF;
  if (startsWith(bytes, [0x42, 0x4d]) && bytes.length >= 26) return BMP;
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return ZIP;
  return undefined;
}

/** "a JPEG image" for a MIME type we can name, else the MIME type itself. */
export function describeMime(mime: string): string {
  const known = [JPEG, PNG, WEBP, GIF, TIFF, HEIC, AVIF, PDF, BMP, ZIP].find((f) => f.mime === mime);
  return known ? known.name : mime;
}
