/**
 * The IPP door: `POST /ipp/{printerId}/{keyId}/{token}`, a share key's capability URL (core/ipp/capability.ts).
 * The body is an IPP request (binary, base64 in the event); the answer is `application/ipp` with HTTP 200,
 * whatever the IPP status. An unknown, wrong or revoked capability answers HTTP 404 before the body is parsed;
 * the token is never put in a message or a log line.
 */
import { randomUUID } from 'node:crypto';
import { awsPorts } from '../../adapters/ports.ts';
import { decideAccepting } from '../../core/accepting.ts';
import { convertIsolated } from '../../core/convert-isolated.ts';
import { NotFoundError, UnsupportedMediaTypeError } from '../../core/errors.ts';
import { ippBaseOf, ippPath, resolveCapability } from '../../core/ipp/capability.ts';
import { type IppInput, serveIpp } from '../../core/ipp/service.ts';
import { bodySize, type HttpEvent, header, html, httpHandler, publicBaseUrl } from '../http.ts';
import { addPrinterPage, airPrintProfile } from './add-printer-page.ts';

const ports = awsPorts();

/** The attributes of any sensible request fit here; a document after them is decoded only when it is stored. */
const HEAD_BASE64_CHARS = 64 * 1024;

const PRINTER_ID = /^[A-Za-z0-9._-]{2,64}$/;
const KEY_ID = /^sk_[A-Za-z0-9_-]{1,64}$/;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

function inputOf(event: HttpEvent): IppInput {
  const body = event.body ?? '';
  const decode = (text: string) =>
    new Uint8Array(event.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8'));
  // base64 decodes in groups of 4 characters: a prefix of whole groups is a prefix of the bytes.
  const head =
    event.isBase64Encoded && body.length > HEAD_BASE64_CHARS
      ? decode(body.slice(0, HEAD_BASE64_CHARS))
      : decode(body);
  let full: Uint8Array | undefined;
  return {
    head,
    size: bodySize(event),
    full: () => {
      full ??= head.byteLength >= bodySize(event) ? head : decode(body);
      return full;
    },
  };
}

/** The share key the path names, or 404 (unknown, wrong or revoked): the same answer, never naming the token. */
async function capabilityOf(event: HttpEvent) {
  const { printerId = '', keyId = '', token = '' } = event.pathParameters ?? {};
  if (!PRINTER_ID.test(printerId) || !KEY_ID.test(keyId) || !TOKEN.test(token))
    throw new NotFoundError('printer');
  const principal = await resolveCapability(ports, printerId, keyId, token);
  if (!principal) throw new NotFoundError('printer');
  return { principal, printerId, keyId, token };
}

export const handler = httpHandler<'ipp'>({
  /** A browser at the printer's URL (printer-more-info): how to add it, or its AirPrint profile. */
  'GET /ipp/{printerId}/{keyId}/{token}': async (event) => {
    const { printerId, keyId, token } = await capabilityOf(event);
    const printer = await ports.printers.get(printerId);
    if (!printer) throw new NotFoundError('printer');
    const info = {
      name: printer.name || printerId,
      ippUri: `${ippBaseOf(publicBaseUrl(event))}${ippPath(printerId, keyId, token)}`,
      accepting: decideAccepting(printer, ports.clock.now()).accepting,
    };
    if (event.queryStringParameters?.profile === 'airprint') {
      return {
        statusCode: 200,
        headers: {
          'content-type': 'application/x-apple-aspen-config',
          'content-disposition': `attachment; filename="${printerId}.mobileconfig"`,
          'cache-control': 'no-store',
        },
        body: airPrintProfile(info, {
          profile: randomUUID().toUpperCase(),
          payload: randomUUID().toUpperCase(),
        }),
      };
    }
    return html(200, addPrinterPage(info), { 'referrer-policy': 'no-referrer' });
  },

  'POST /ipp/{printerId}/{keyId}/{token}': async (event, context) => {
    const { principal, printerId, keyId, token } = await capabilityOf(event);
    const contentType = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/ipp') {
      throw new UnsupportedMediaTypeError('An IPP request is sent with Content-Type: application/ipp');
    }
    const base = publicBaseUrl(event);
    const printerUri = `${ippBaseOf(base)}${ippPath(printerId, keyId, token)}`;
    // Converted in a worker with a time limit, as the REST print request is (core/convert-isolated.ts).
    const answer = await serveIpp(ports, convertIsolated, inputOf(event), {
      principal,
      printerId,
      printerUri,
      uriSecurity: printerUri.startsWith('ipps:') ? 'tls' : 'none',
      moreInfo: `${base}${ippPath(printerId, keyId, token)}`,
      deadline: ports.clock.now().getTime() + context.getRemainingTimeInMillis(),
    });
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/ipp', 'cache-control': 'no-store' },
      body: Buffer.from(answer).toString('base64'),
      isBase64Encoded: true,
    };
  },
});
