/**
 * PDF documents: checked, then passed through byte for byte.
 *
 * Why not re-save with pdf-lib: the bytes the user sent are what their author and viewer agreed on;
 * a re-save rewrites every object (slow for big files, sometimes larger, drops incremental-update
 * history and invalidates signatures) and gains the printer nothing. pdf-lib's parse proves the file
 * is a PDF with a readable page tree, which is all the cloud needs to promise a printable job.
 * Media, fit and colour are left to the printer for PDFs (its print-scaling and color-mode defaults).
 */
import { ParseSpeeds, PDFDocument } from 'pdf-lib';
import { PayloadTooLargeError, UnprocessableDocumentError } from './errors.ts';
import { requireBoundedInflation } from './pdf-inflation.ts';

/** A print job is not an archive: 500 pages is a thick book. */
export const MAX_PDF_PAGES = 500;
/**
 * What the object streams of one PDF may inflate to (core/pdf-inflation.ts). Object streams hold the
 * document's small objects (dictionaries, page tree), a few MB even in thick documents.
 */
export const MAX_PDF_INFLATED_BYTES = 64 * 1024 * 1024;

export async function checkPdf(bytes: Uint8Array): Promise<{ pdf: Uint8Array; pages: number }> {
  await requireBoundedInflation(bytes, MAX_PDF_INFLATED_BYTES);
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(bytes, {
      // pdf-lib's EncryptedPDFError is ES5-compiled, so `instanceof` cannot tell it from any other
      // parse error: load regardless and ask the document instead.
      ignoreEncryption: true,
      // The default yields to the event loop every 100 objects; a Lambda serves one request at a time, so
      // parse flat out.
      parseSpeed: ParseSpeeds.Fastest,
      updateMetadata: false,
    });
  } catch {
    throw new UnprocessableDocumentError('The PDF could not be read: it is damaged or truncated');
  }
  // Printers cannot decrypt it and the cloud has no password to give them.
  if (doc.isEncrypted) {
    throw new UnprocessableDocumentError(
      'The PDF is password-protected (encrypted); remove the password and send it again',
    );
  }
  let pages: number;
  try {
    pages = doc.getPages().length;
  } catch {
    throw new UnprocessableDocumentError('The PDF could not be read: its page tree is damaged');
  }
  if (pages === 0) throw new UnprocessableDocumentError('The PDF has no pages');
  if (pages > MAX_PDF_PAGES) {
    throw new PayloadTooLargeError(
      `The PDF has ${pages} pages; at most ${MAX_PDF_PAGES} can be printed in one job`,
    );
  }
  return { pdf: bytes, pages };
}
