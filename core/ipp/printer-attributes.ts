/**
 * The printer as IPP sees it (RFC 8011 §5.4, PWG 5100.12), from the printer record: accepting from the
 * one accepting decision (core/accepting.ts), state and reasons from the printer's own reports, markers
 * from its supplies, formats from what the cloud converts (core/convert.ts).
 */
import { createHash } from 'node:crypto';
import { decideAccepting } from '../accepting.ts';
import { SUPPORTED_CONTENT_TYPES } from '../convert.ts';
import { heicDecodingAvailable } from '../convert-image.ts';
import type { PrinterRecord } from '../printer.ts';
import { attr, type IppAttribute, type IppValue, ipp } from './codec.ts';
import { Operation } from './tags.ts';

/**
 * API Gateway hands a Lambda at most 6 MB, and a binary body arrives base64-encoded (4/3 larger):
 * about 4.5 MB of request. 4352 KiB of document leaves room for the attributes and the event.
 */
export const IPP_MAX_DOCUMENT_KB = 4352;

/** How long a Create-Job waits for its Send-Document (multiple-operation-time-out). */
export const MULTIPLE_OPERATION_TIMEOUT_SECONDS = 300;

export const SUPPORTED_OPERATIONS = [
  Operation.printJob,
  Operation.validateJob,
  Operation.createJob,
  Operation.sendDocument,
  Operation.cancelJob,
  Operation.getJobAttributes,
  Operation.getJobs,
  Operation.getPrinterAttributes,
] as const;

/** PWG media names and their sizes in hundredths of millimetres (core/job.ts Media). */
export const MEDIA_SIZES: Record<string, { x: number; y: number }> = {
  iso_a4_210x297mm: { x: 21000, y: 29700 },
  'na_letter_8.5x11in': { x: 21590, y: 27940 },
};
export const DEFAULT_MEDIA = 'iso_a4_210x297mm';
/** The 18 pt margins of core/convert-layout.ts, in hundredths of millimetres. */
const MARGIN = 635;

/** What a client may send as document-format: the cloud's inputs, plus octet-stream (detected from the bytes). */
export function documentFormatsSupported(): string[] {
  const formats = SUPPORTED_CONTENT_TYPES.filter((t) => t !== 'image/heic' || heicDecodingAvailable());
  return [...formats, 'application/octet-stream'];
}

export const PrinterStateEnum = { idle: 3, processing: 4, stopped: 5 } as const;

export interface PrinterContext {
  printer: PrinterRecord;
  now: Date;
  online: boolean;
  /** The URI this printer is reached at (the share key's ippUri). */
  printerUri: string;
  /** `tls` for ipps, `none` for ipp. */
  uriSecurity: 'tls' | 'none';
  /** An http(s) page about the printer. */
  moreInfo: string;
  queuedJobCount: number;
}

/** A stable printer-uuid from the printerId (RFC 4122 layout over a sha256). */
export function printerUuid(printerId: string): string {
  const hex = createHash('sha256').update(`cloudprint-printer:${printerId}`).digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

function mediaCol(name: string): IppValue {
  const size = MEDIA_SIZES[name] ?? { x: 0, y: 0 };
  return ipp.collection([
    attr(
      'media-size',
      ipp.collection([attr('x-dimension', ipp.integer(size.x)), attr('y-dimension', ipp.integer(size.y))]),
    ),
    attr('media-bottom-margin', ipp.integer(MARGIN)),
    attr('media-left-margin', ipp.integer(MARGIN)),
    attr('media-right-margin', ipp.integer(MARGIN)),
    attr('media-top-margin', ipp.integer(MARGIN)),
  ]);
}

/** Supplies `{toner: 12}` → marker-names / marker-levels; a count that is no percentage (paper sheets) is -3 ("some left"). */
function markers(supplies: Record<string, number>): IppAttribute[] {
  const names = Object.keys(supplies).sort();
  if (names.length === 0) return [];
  const level = (n: number) => (n >= 0 && n <= 100 ? Math.round(n) : n > 100 ? -3 : -2);
  return [
    attr('marker-names', ...names.map((n) => ipp.name(n))),
    attr('marker-levels', ...names.map((n) => ipp.integer(level(supplies[n] ?? -2)))),
    attr('marker-low-levels', ...names.map(() => ipp.integer(10))),
    attr('marker-high-levels', ...names.map(() => ipp.integer(100))),
    attr(
      'marker-types',
      ...names.map((n) => ipp.keyword(/ink/i.test(n) ? 'ink' : /toner/i.test(n) ? 'toner' : 'unknown')),
    ),
    attr('marker-colors', ...names.map(() => ipp.name('none'))),
  ];
}

export function printerStateOf(ctx: Pick<PrinterContext, 'printer' | 'online'>): {
  state: number;
  reasons: string[];
} {
  const reasons = [...(ctx.printer.reasons ?? [])];
  if (!ctx.online && !reasons.includes('offline-report')) reasons.push('offline-report');
  const state = PrinterStateEnum[ctx.printer.state] ?? PrinterStateEnum.idle;
  return { state, reasons: reasons.length > 0 ? reasons : ['none'] };
}

export function printerAttributes(ctx: PrinterContext): IppAttribute[] {
  const { printer } = ctx;
  const decision = decideAccepting(printer, ctx.now);
  const { state, reasons } = printerStateOf(ctx);
  const name = printer.name || printer.printerId;
  const media = Object.keys(MEDIA_SIZES);
  return [
    attr('charset-configured', ipp.charset('utf-8')),
    attr('charset-supported', ipp.charset('utf-8'), ipp.charset('us-ascii')),
    attr('color-supported', ipp.boolean(true)),
    attr('compression-supported', ipp.keyword('none')),
    attr('copies-default', ipp.integer(1)),
    attr('copies-supported', ipp.range(1, 99)),
    attr('document-format-default', ipp.mimeMediaType('application/pdf')),
    attr('document-format-supported', ...documentFormatsSupported().map(ipp.mimeMediaType)),
    attr('finishings-default', ipp.enum(3)),
    attr('finishings-supported', ipp.enum(3)),
    attr('generated-natural-language-supported', ipp.naturalLanguage('en')),
    attr('ipp-versions-supported', ipp.keyword('1.0'), ipp.keyword('1.1'), ipp.keyword('2.0')),
    attr(
      'job-creation-attributes-supported',
      ...['copies', 'media', 'media-col', 'print-color-mode', 'print-scaling'].map(ipp.keyword),
    ),
    attr('job-k-octets-supported', ipp.range(0, IPP_MAX_DOCUMENT_KB)),
    attr('media-col-database', ...media.map(mediaCol)),
    attr('media-col-default', mediaCol(DEFAULT_MEDIA)),
    attr('media-col-ready', ...media.map(mediaCol)),
    attr(
      'media-col-supported',
      ...[
        'media-size',
        'media-bottom-margin',
        'media-left-margin',
        'media-right-margin',
        'media-top-margin',
      ].map(ipp.keyword),
    ),
    attr('media-bottom-margin-supported', ipp.integer(MARGIN)),
    attr('media-left-margin-supported', ipp.integer(MARGIN)),
    attr('media-right-margin-supported', ipp.integer(MARGIN)),
    attr('media-top-margin-supported', ipp.integer(MARGIN)),
    attr('media-default', ipp.keyword(DEFAULT_MEDIA)),
    attr('media-ready', ...media.map(ipp.keyword)),
    attr('media-supported', ...media.map(ipp.keyword)),
    attr(
      'media-size-supported',
      ...media.map((m) => {
        const size = MEDIA_SIZES[m] ?? { x: 0, y: 0 };
        return ipp.collection([
          attr('x-dimension', ipp.integer(size.x)),
          attr('y-dimension', ipp.integer(size.y)),
        ]);
      }),
    ),
    ...markers(printer.supplies ?? {}),
    attr('multiple-document-jobs-supported', ipp.boolean(false)),
    attr('multiple-operation-time-out', ipp.integer(MULTIPLE_OPERATION_TIMEOUT_SECONDS)),
    attr('natural-language-configured', ipp.naturalLanguage('en')),
    attr('number-up-default', ipp.integer(1)),
    attr('number-up-supported', ipp.integer(1)),
    attr('operations-supported', ...SUPPORTED_OPERATIONS.map(ipp.enum)),
    attr('orientation-requested-default', ipp.enum(3)),
    attr('orientation-requested-supported', ipp.enum(3)),
    attr('output-bin-default', ipp.keyword('auto')),
    attr('output-bin-supported', ipp.keyword('auto')),
    // The cloud does not know the printer's speed; IPP/2.0 requires a value.
    attr('pages-per-minute', ipp.integer(1)),
    attr('pages-per-minute-color', ipp.integer(1)),
    attr('pdl-override-supported', ipp.keyword('attempted')),
    attr('print-color-mode-default', ipp.keyword('color')),
    attr('print-color-mode-supported', ipp.keyword('color'), ipp.keyword('monochrome')),
    attr('print-quality-default', ipp.enum(4)),
    attr('print-quality-supported', ipp.enum(4)),
    attr('print-scaling-default', ipp.keyword('fit')),
    attr('print-scaling-supported', ipp.keyword('fit'), ipp.keyword('fill')),
    attr('printer-current-time', ipp.dateTime(ctx.now)),
    attr('printer-info', ipp.text(name.slice(0, 127))),
    attr('printer-is-accepting-jobs', ipp.boolean(decision.accepting)),
    attr('printer-location', ipp.text('')),
    attr('printer-make-and-model', ipp.text('cloudprint cloud printer')),
    attr('printer-more-info', ipp.uri(ctx.moreInfo)),
    attr('printer-name', ipp.name(name.slice(0, 127))),
    attr('printer-resolution-default', ipp.resolution(300, 300)),
    attr('printer-resolution-supported', ipp.resolution(300, 300)),
    attr('printer-state', ipp.enum(state)),
    attr(
      'printer-state-message',
      ipp.text(
        decision.accepting
          ? ctx.online
            ? 'Ready'
            : 'Offline: jobs are held until it is back'
          : decision.message.slice(0, 1023),
      ),
    ),
    attr('printer-state-reasons', ...reasons.map(ipp.keyword)),
    // Seconds since the epoch, as CUPS counts it: job times use the same clock.
    attr('printer-up-time', ipp.integer(Math.floor(ctx.now.getTime() / 1000))),
    attr('printer-uri-supported', ipp.uri(ctx.printerUri)),
    attr('printer-uuid', ipp.uri(printerUuid(printer.printerId))),
    attr('queued-job-count', ipp.integer(ctx.queuedJobCount)),
    attr('sides-default', ipp.keyword('one-sided')),
    attr('sides-supported', ipp.keyword('one-sided')),
    attr('uri-authentication-supported', ipp.keyword('none')),
    attr('uri-security-supported', ipp.keyword(ctx.uriSecurity)),
    attr('which-jobs-supported', ipp.keyword('completed'), ipp.keyword('not-completed'), ipp.keyword('all')),
  ];
}

const GROUP_KEYWORDS = new Set(['all', 'printer-description', 'job-template']);

/** requested-attributes: a group keyword returns everything; otherwise only the named attributes. */
export function selectAttributes(all: IppAttribute[], requested: string[] | undefined): IppAttribute[] {
  if (!requested || requested.some((r) => GROUP_KEYWORDS.has(r))) return all;
  const wanted = new Set(requested);
  return all.filter((a) => wanted.has(a.name));
}
