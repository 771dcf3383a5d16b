/**
 * Decompression bombs in PDFs. pdf-lib inflates every object stream (and xref stream) while it loads a
 * file, in JavaScript and all at once: a 3 KB file whose object stream inflates to 1 GiB held the event
 * loop for 18 s and 1.1 GB of memory. Before pdf-lib sees a file, these streams are inflated here with
 * zlib (native, streamed, counted and thrown away as they come), and a file whose total exceeds the
 * bound is refused. Other streams (page content, images) pdf-lib leaves compressed.
 */
import { constants, createInflate, type Inflate } from 'node:zlib';
import { PayloadTooLargeError, UnprocessableDocumentError } from './errors.ts';

/** Filters that only shrink data (text encodings of binary) need no count; they cannot hide a bomb alone. */
const CHAINABLE = new Set(['FlateDecode', 'Fl']);
const NON_EXPANDING = new Set(['ASCIIHexDecode', 'AHx', 'ASCII85Decode', 'A85']);

/** `/ObjSt#6d` is `/ObjStm`: PDF names may escape any character. */
function decodeNames(text: string): string {
  return text.replace(/#([0-9a-fA-F]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

function filtersOf(dict: string): string[] {
  const match = /\/Filter\s*(\[[^\]]*\]|\/[^\s/<>[\]()]+)/.exec(dict);
  if (!match?.[1]) return [];
  return [...match[1].matchAll(/\/([^\s/<>[\]()]+)/g)].map((m) => m[1] ?? '');
}

/**
 * Every `N G obj <<dict>> stream … endstream` of the file, in one pass: each stream's data is skipped,
 * and each look back for `obj` covers only the text since the previous stream, so the scan stays linear
 * whatever the file holds.
 */
function* streamsOf(text: string): Generator<{ dict: string; start: number; end: number }> {
  let pos = 0;
  for (;;) {
    const at = text.indexOf('stream', pos);
    if (at < 0) return;
    const from = pos;
    pos = at + 6;
    const eol = text.startsWith('\r\n', pos) ? 2 : /[\r\n]/.test(text[pos] ?? '') ? 1 : 0;
    if (eol === 0 || text.startsWith('end', at - 3)) continue;
    const found = text.slice(from, at).lastIndexOf('obj');
    const objAt = found < 0 ? -1 : from + found;
    // `endobj` means the keyword is not inside an object's header
    if (objAt < 0 || text.startsWith('endobj', objAt - 3)) continue;
    const dict = text.slice(objAt + 3, at).trim();
    if (!dict.startsWith('<<') || !dict.endsWith('>>')) continue;
    const start = pos + eol;
    const endAt = text.indexOf('endstream', start);
    pos = endAt < 0 ? text.length : endAt + 9;
    yield { dict, start, end: endAt < 0 ? text.length : endAt };
  }
}

/** Inflates `data` through `layers` zlib layers, counting the last layer's output; stops past `budget`. */
function inflatedSize(data: Uint8Array, layers: number, budget: number): Promise<number> {
  return new Promise((resolve) => {
    const chain: Inflate[] = Array.from({ length: layers }, () =>
      // Sync flush: a truncated stream counts what it yields, as pdf-lib reads it.
      createInflate({ finishFlush: constants.Z_SYNC_FLUSH, chunkSize: 256 * 1024 }),
    );
    let total = 0;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      for (const inflate of chain) inflate.destroy();
      resolve(total);
    };
    chain.forEach((inflate, i) => {
      // A damaged stream is pdf-lib's to judge: what it yielded so far is counted.
      inflate.on('error', finish);
      const next = chain[i + 1];
      if (next) {
        inflate.on('data', (chunk: Buffer) => {
          if (!next.write(chunk)) inflate.pause();
        });
        next.on('drain', () => inflate.resume());
        inflate.on('end', () => next.end());
      } else {
        inflate.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > budget) finish();
        });
        inflate.on('end', finish);
      }
    });
    chain[0]?.end(data);
  });
}

/**
 * Throws 413 when the object and xref streams of `bytes` inflate to more than `maxBytes` in all, and 422
 * when one is compressed with a filter whose output cannot be bounded up front (LZW, run-length).
 */
export async function requireBoundedInflation(bytes: Uint8Array, maxBytes: number): Promise<void> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let budget = maxBytes;
  for (const stream of streamsOf(text)) {
    const dict = decodeNames(stream.dict);
    if (!/\/Type\s*\/(ObjStm|XRef)\b/.test(dict)) continue;
    const filters = filtersOf(dict).filter((f) => !NON_EXPANDING.has(f));
    if (filters.length === 0) continue;
    if (!filters.every((f) => CHAINABLE.has(f)) || filters.length !== filtersOf(dict).length) {
      throw new UnprocessableDocumentError(
        `The PDF compresses its object streams with ${filtersOf(dict).join(', ')}; only FlateDecode is accepted there`,
      );
    }
    const data = bytes.subarray(stream.start, stream.end);
    budget -= await inflatedSize(data, filters.length, budget);
    if (budget < 0) {
      throw new PayloadTooLargeError(
        `The PDF's object streams inflate to more than ${maxBytes} bytes (a decompression bomb, or a document far too large to print)`,
        { limit: maxBytes },
      );
    }
  }
}
