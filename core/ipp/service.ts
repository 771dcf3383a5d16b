/**
 * The IPP door's operations (RFC 8011) over the same core as the REST API: the accepting decision and
 * job creation of core/print-request.ts, the job-state machine and cancel of core/jobs.ts, the
 * conversion of core/convert.ts. A printer that is not accepting answers Print-Job, Validate-Job and
 * Create-Job with server-error-not-accepting-jobs before the document is read; nothing is created.
 */
import { maySeeJob, type Principal, requireTerminal, submitterOf } from '../auth.ts';
import { normalizeContentType } from '../convert.ts';
import { sniffFormat } from '../document-sniff.ts';
import { ConflictError, HttpError, NotFoundError } from '../errors.ts';
import type { JobRecord, Media, PrintOptions } from '../job.ts';
import { cancelJob } from '../jobs.ts';
import type { Converter, Ports } from '../ports.ts';
import { admit, submit } from '../print-request.ts';
import { isOnline } from '../printer.ts';
import {
  attr,
  booleanOf,
  decodeMessage,
  encodeMessage,
  findAttribute,
  type IppAttribute,
  type IppGroup,
  type IppMessage,
  IppParseError,
  type IppValue,
  integerOf,
  ipp,
  stringOf,
} from './codec.ts';
import {
  type IncomingJob,
  incomingJobAttributes,
  JOB_STATE_ENUM,
  jobAttributes,
  jobUri,
} from './job-attributes.ts';
import {
  documentFormatsSupported,
  IPP_MAX_DOCUMENT_KB,
  MEDIA_SIZES,
  MULTIPLE_OPERATION_TIMEOUT_SECONDS,
  printerAttributes,
  selectAttributes,
} from './printer-attributes.ts';
import { GroupTag, Operation, Status } from './tags.ts';

export type IppPorts = Pick<
  Ports,
  'printers' | 'jobs' | 'guards' | 'documents' | 'notifier' | 'clock' | 'settings' | 'log' | 'webhooks'
>;

export interface IppContext {
  principal: Principal;
  printerId: string;
  /** The URI the client reached (the share key's ippUri). */
  printerUri: string;
  uriSecurity: 'tls' | 'none';
  moreInfo: string;
  /** Epoch ms when the caller stops waiting: no job is created after it (core/print-request.ts). */
  deadline?: number | undefined;
}

export interface IppInput {
  /** The start of the body: enough for the attributes (the whole body is read only for a document). */
  head: Uint8Array;
  /** The whole body, decoded only when a document is to be stored. */
  full: () => Uint8Array;
  size: number;
}

/** Far beyond any printer's life: the per-printer job-id counter must never reset. */
const COUNTER_SECONDS = 100 * 365 * 24 * 3600;

const OPERATION_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Operation).map(([name, id]) => [id, name]),
);

/** Decoding answers the client: a message too broken for even a request-id gets undefined. */
function parse(input: IppInput): { message: IppMessage; dataOffset: number } | IppParseError {
  try {
    const message = decodeMessage(input.head);
    return { message, dataOffset: input.head.byteLength - message.data.byteLength };
  } catch (error) {
    if (!(error instanceof IppParseError)) throw error;
    if (input.head.byteLength >= input.size) return error;
  }
  try {
    const full = input.full();
    const message = decodeMessage(full);
    return { message, dataOffset: full.byteLength - message.data.byteLength };
  } catch (error) {
    if (error instanceof IppParseError) return error;
    throw error;
  }
}

interface Answer {
  status: number;
  message?: string;
  groups?: IppGroup[];
}

function encodeAnswer(request: Pick<IppMessage, 'version' | 'requestId'>, answer: Answer): Uint8Array {
  const operation: IppAttribute[] = [
    attr('attributes-charset', ipp.charset('utf-8')),
    attr('attributes-natural-language', ipp.naturalLanguage('en')),
  ];
  if (answer.message) operation.push(attr('status-message', ipp.text(answer.message.slice(0, 255))));
  const version =
    request.version.major === 1 || request.version.major === 2 ? request.version : { major: 1, minor: 1 };
  return encodeMessage({
    version,
    code: answer.status,
    requestId: request.requestId,
    groups: [{ tag: GroupTag.operation, attributes: operation }, ...(answer.groups ?? [])],
  });
}

/**
 * The IPP analogue of functions/http.ts's error mapping: domain errors from the shared core become
 * IPP status codes. Anything else is not exposed (the handler logs it).
 */
export function statusOfError(error: unknown): Answer | undefined {
  if (!(error instanceof HttpError) || !error.expose) return undefined;
  const byCode: Record<string, number> = {
    'not-accepting-jobs': Status.serverErrorNotAcceptingJobs,
    'unsupported-format': Status.clientErrorDocumentFormatNotSupported,
    'unreadable-document': Status.clientErrorDocumentFormatError,
    'too-large': Status.clientErrorRequestEntityTooLarge,
    'not-found': Status.clientErrorNotFound,
    conflict: Status.clientErrorNotPossible,
    forbidden: Status.clientErrorForbidden,
    'bad-request': Status.clientErrorBadRequest,
  };
  const status = byCode[error.code];
  return status === undefined ? undefined : { status, message: error.message };
}

/** Serves one IPP request; returns the encoded response (always HTTP 200 application/ipp). */
export async function serveIpp(
  ports: IppPorts,
  convert: Converter,
  input: IppInput,
  ctx: IppContext,
): Promise<Uint8Array> {
  const parsed = parse(input);
  if (parsed instanceof IppParseError) {
    const head = input.head;
    const requestId = head.byteLength >= 8 ? new DataView(head.buffer, head.byteOffset).getInt32(4) : 0;
    const version = { major: head[0] ?? 1, minor: head[1] ?? 1 };
    return encodeAnswer(
      { version, requestId },
      { status: Status.clientErrorBadRequest, message: parsed.message },
    );
  }
  const { message: request, dataOffset } = parsed;
  const answer = await answerRequest(ports, convert, { request, dataOffset, input, ctx }).catch(
    (error: unknown) => {
      const mapped = statusOfError(error);
      if (!mapped) throw error;
      return mapped;
    },
  );
  return encodeAnswer(request, answer);
}

interface Call {
  request: IppMessage;
  dataOffset: number;
  input: IppInput;
  ctx: IppContext;
}

/** RFC 8011 §4.1: version, request-id, charset then natural language first, a target. */
function checkRequest(request: IppMessage): Answer | undefined {
  if (request.version.major !== 1 && request.version.major !== 2) {
    return {
      status: Status.serverErrorVersionNotSupported,
      message: 'IPP versions 1.0, 1.1 and 2.0 are supported',
    };
  }
  if (request.requestId <= 0)
    return { status: Status.clientErrorBadRequest, message: 'request-id must be above 0' };
  const operation = request.groups[0];
  if (operation?.tag !== GroupTag.operation) {
    return {
      status: Status.clientErrorBadRequest,
      message: 'The operation attributes group must come first',
    };
  }
  const [charset, language] = operation.attributes;
  if (charset?.name !== 'attributes-charset' || language?.name !== 'attributes-natural-language') {
    return {
      status: Status.clientErrorBadRequest,
      message:
        'attributes-charset and then attributes-natural-language must be the first operation attributes',
    };
  }
  const value = stringOf(charset)?.toLowerCase();
  if (value !== 'utf-8' && value !== 'us-ascii') {
    return { status: Status.clientErrorCharsetNotSupported, message: 'attributes-charset must be utf-8' };
  }
  if (request.groups.filter((g) => g.tag === GroupTag.operation).length > 1) {
    return { status: Status.clientErrorBadRequest, message: 'More than one operation attributes group' };
  }
  if (!findAttribute(operation, 'printer-uri') && !findAttribute(operation, 'job-uri')) {
    return { status: Status.clientErrorBadRequest, message: 'printer-uri (or job-uri) is required' };
  }
  return undefined;
}

async function answerRequest(ports: IppPorts, convert: Converter, call: Call): Promise<Answer> {
  const invalid = checkRequest(call.request);
  if (invalid) return invalid;
  switch (call.request.code) {
    case Operation.printJob:
      return printJob(ports, convert, call);
    case Operation.validateJob:
      return validateJob(ports, call);
    case Operation.createJob:
      return createJob(ports, call);
    case Operation.sendDocument:
      return sendDocument(ports, convert, call);
    case Operation.getPrinterAttributes:
      return getPrinterAttributes(ports, call);
    case Operation.getJobs:
      return getJobs(ports, call);
    case Operation.getJobAttributes:
      return getJobAttributes(ports, call);
    case Operation.cancelJob:
      return cancel(ports, call);
    default:
      return {
        status: Status.serverErrorOperationNotSupported,
        message: `${OPERATION_NAMES[call.request.code] ?? `Operation 0x${call.request.code.toString(16)}`} is not supported`,
      };
  }
}

const operationGroup = (call: Call) => call.request.groups[0] as IppGroup;
const opString = (call: Call, name: string) => stringOf(findAttribute(operationGroup(call), name));
const userOf = (call: Call) => (opString(call, 'requesting-user-name') || 'anonymous').slice(0, 255);

interface JobRequest {
  options: PrintOptions;
  format: string;
  unsupported: IppAttribute[];
}

const COLOR_MODES: Record<string, PrintOptions['color']> = {
  auto: 'color',
  color: 'color',
  monochrome: 'monochrome',
  'auto-monochrome': 'monochrome',
  'process-monochrome': 'monochrome',
};
const SCALINGS: Record<string, PrintOptions['fit']> = {
  auto: 'fit',
  'auto-fit': 'fit',
  fit: 'fit',
  fill: 'fill',
};
/** Job template attributes whose only supported value is accepted as asked: anything else is unsupported. */
const ONLY_VALUE: Record<string, (v: IppValue) => boolean> = {
  sides: (v) => v.kind === 'string' && v.value === 'one-sided',
  'number-up': (v) => v.kind === 'integer' && v.value === 1,
  finishings: (v) => v.kind === 'integer' && v.value === 3,
  'orientation-requested': (v) => v.kind === 'integer' && v.value === 3,
  'print-quality': (v) => v.kind === 'integer' && v.value === 4,
  'output-bin': (v) => v.kind === 'string' && v.value === 'auto',
  'job-priority': (v) => v.kind === 'integer' && v.value === 50,
  'job-hold-until': (v) => v.kind === 'string' && v.value === 'no-hold',
  'job-sheets': (v) => v.kind === 'string' && v.value === 'none',
  'multiple-document-handling': (v) => v.kind === 'string',
  'printer-resolution': (v) => v.kind === 'resolution' && v.value.x === 300 && v.value.y === 300,
};

function mediaOfCol(value: IppValue | undefined): Media | undefined {
  if (value?.kind !== 'collection') return undefined;
  const key = stringOf(value.value.find((m) => m.name === 'media-key'));
  if (key && key in MEDIA_SIZES) return key as Media;
  const size = value.value.find((m) => m.name === 'media-size')?.values[0];
  if (size?.kind !== 'collection') return undefined;
  const x = integerOf(size.value.find((m) => m.name === 'x-dimension'));
  const y = integerOf(size.value.find((m) => m.name === 'y-dimension'));
  if (x === undefined || y === undefined) return undefined;
  const found = Object.entries(MEDIA_SIZES).find(
    ([, s]) => Math.abs(s.x - x) <= 100 && Math.abs(s.y - y) <= 100,
  );
  return found?.[0] as Media | undefined;
}

/** Options from the job template attributes; what the cloud cannot honour goes to `unsupported`. */
function jobRequest(call: Call): JobRequest | Answer {
  const op = operationGroup(call);
  const compression = opString(call, 'compression');
  if (compression && compression !== 'none') {
    return {
      status: Status.clientErrorCompressionNotSupported,
      message: 'Only compression "none" is supported',
      groups: [{ tag: GroupTag.unsupported, attributes: [attr('compression', ipp.keyword(compression))] }],
    };
  }
  const format = opString(call, 'document-format') ?? 'application/octet-stream';
  if (
    !documentFormatsSupported().includes(normalizeContentType(format)) &&
    format !== 'application/octet-stream'
  ) {
    return {
      status: Status.clientErrorDocumentFormatNotSupported,
      message: `document-format ${format} is not supported; send one of ${documentFormatsSupported().join(', ')}`,
      groups: [
        { tag: GroupTag.unsupported, attributes: [attr('document-format', ipp.mimeMediaType(format))] },
      ],
    };
  }
  const title = (opString(call, 'job-name') || opString(call, 'document-name') || 'Untitled').slice(0, 200);
  const options: PrintOptions = { copies: 1, media: 'iso_a4_210x297mm', fit: 'fit', color: 'color', title };
  const unsupported: IppAttribute[] = [];
  for (const group of call.request.groups.filter((g) => g.tag === GroupTag.job)) {
    for (const attribute of group.attributes) {
      const value = attribute.values[0];
      let ok = false;
      switch (attribute.name) {
        case 'copies':
          ok = value?.kind === 'integer' && value.value >= 1 && value.value <= 99;
          if (ok && value?.kind === 'integer') options.copies = value.value;
          break;
        case 'media': {
          const media = stringOf(attribute);
          ok = media !== undefined && media in MEDIA_SIZES;
          if (ok) options.media = media as Media;
          break;
        }
        case 'media-col': {
          const media = mediaOfCol(value);
          ok = media !== undefined;
          if (media) options.media = media;
          break;
        }
        case 'print-color-mode': {
          const mode = COLOR_MODES[stringOf(attribute) ?? ''];
          ok = mode !== undefined;
          if (mode) options.color = mode;
          break;
        }
        case 'print-scaling': {
          const fit = SCALINGS[stringOf(attribute) ?? ''];
          ok = fit !== undefined;
          if (fit) options.fit = fit;
          break;
        }
        default: {
          const check = ONLY_VALUE[attribute.name];
          ok = check !== undefined && value !== undefined && check(value);
        }
      }
      if (!ok) unsupported.push(attribute);
    }
  }
  if (unsupported.length > 0 && booleanOf(findAttribute(op, 'ipp-attribute-fidelity')) === true) {
    return {
      status: Status.clientErrorAttributesOrValuesNotSupported,
      message: `Not supported: ${unsupported.map((a) => a.name).join(', ')}`,
      groups: [{ tag: GroupTag.unsupported, attributes: unsupported }],
    };
  }
  return { options, format, unsupported };
}

function isAnswer(value: JobRequest | Answer): value is Answer {
  return 'status' in value;
}

function maxDocumentBytes(ports: IppPorts): number {
  return Math.min(IPP_MAX_DOCUMENT_KB * 1024, ports.settings.maxDocumentBytes);
}

/** The document after the attributes; its format detected when the client sent octet-stream. */
function documentOf(call: Call, declared: string): { bytes: Uint8Array; contentType: string } {
  const bytes = call.input.full().subarray(call.dataOffset);
  if (declared !== 'application/octet-stream') return { bytes, contentType: normalizeContentType(declared) };
  return { bytes, contentType: sniffFormat(bytes)?.mime ?? 'application/octet-stream' };
}

function acceptedAnswer(
  job: { ippJobId: number },
  call: Call,
  unsupported: IppAttribute[],
  state = 'pending',
): Answer {
  const groups: IppGroup[] = [];
  if (unsupported.length > 0) groups.push({ tag: GroupTag.unsupported, attributes: unsupported });
  groups.push({
    tag: GroupTag.job,
    attributes: [
      attr('job-id', ipp.integer(job.ippJobId)),
      attr('job-uri', ipp.uri(jobUri(call.ctx.printerUri, job.ippJobId))),
      attr('job-state', ipp.enum(JOB_STATE_ENUM.pending)),
      attr('job-state-reasons', ipp.keyword(state === 'incoming' ? 'job-incoming' : 'none')),
      attr('number-of-intervening-jobs', ipp.integer(0)),
    ],
  });
  return {
    status: unsupported.length > 0 ? Status.successfulOkIgnoredOrSubstituted : Status.successfulOk,
    groups,
  };
}

/** One atomic counter per printer (one UpdateItem ADD): job-ids are small integers, never reused. */
async function nextJobId(ports: IppPorts, printerId: string): Promise<number> {
  const nowEpoch = Math.floor(ports.clock.now().getTime() / 1000);
  return ports.guards.increment(`ipp-job-id#${printerId}`, nowEpoch + COUNTER_SECONDS);
}

function tooLarge(ports: IppPorts, call: Call): Answer | undefined {
  const size = call.input.size - call.dataOffset;
  if (size <= maxDocumentBytes(ports)) return undefined;
  return {
    status: Status.clientErrorRequestEntityTooLarge,
    message: `The document is ${Math.ceil(size / 1024)} KiB; at most ${Math.floor(maxDocumentBytes(ports) / 1024)} KiB can be sent over IPP`,
  };
}

async function printJob(ports: IppPorts, convert: Converter, call: Call): Promise<Answer> {
  // First, from one read of the printer: a refusal costs nothing and reads no document.
  const printer = await admit(ports, call.ctx.principal, call.ctx.printerId);
  const checked = jobRequest(call);
  if (isAnswer(checked)) return checked;
  const large = tooLarge(ports, call);
  if (large) return large;
  const document = documentOf(call, checked.format);
  const ippJobId = await nextJobId(ports, printer.printerId);
  await submit(ports, convert, {
    printer,
    principal: call.ctx.principal,
    ...document,
    options: checked.options,
    record: { ippJobId, requestingUserName: userOf(call) },
    deadline: call.ctx.deadline,
  });
  return acceptedAnswer({ ippJobId }, call, checked.unsupported);
}

async function validateJob(ports: IppPorts, call: Call): Promise<Answer> {
  await admit(ports, call.ctx.principal, call.ctx.printerId);
  const checked = jobRequest(call);
  if (isAnswer(checked)) return checked;
  return {
    status: checked.unsupported.length > 0 ? Status.successfulOkIgnoredOrSubstituted : Status.successfulOk,
    groups:
      checked.unsupported.length > 0 ? [{ tag: GroupTag.unsupported, attributes: checked.unsupported }] : [],
  };
}

const incomingKey = (printerId: string, ippJobId: number) => `ipp-incoming#${printerId}#${ippJobId}`;

async function createJob(ports: IppPorts, call: Call): Promise<Answer> {
  const printer = await admit(ports, call.ctx.principal, call.ctx.printerId);
  const checked = jobRequest(call);
  if (isAnswer(checked)) return checked;
  const now = ports.clock.now();
  const nowEpoch = Math.floor(now.getTime() / 1000);
  const ippJobId = await nextJobId(ports, printer.printerId);
  const incoming: IncomingJob & { format: string } = {
    ippJobId,
    title: checked.options.title ?? 'Untitled',
    requestingUserName: userOf(call),
    submittedBy: submitterOf(call.ctx.principal),
    createdAt: now.toISOString(),
    options: checked.options,
    format: checked.format,
  };
  // Not a cloud job yet: the job exists once its document is stored (Send-Document).
  await ports.guards.putIfAbsent(
    incomingKey(printer.printerId, ippJobId),
    JSON.stringify(incoming),
    nowEpoch + MULTIPLE_OPERATION_TIMEOUT_SECONDS,
    nowEpoch,
  );
  return acceptedAnswer({ ippJobId }, call, checked.unsupported, 'incoming');
}

async function findIncoming(
  ports: IppPorts,
  call: Call,
  ippJobId: number,
): Promise<(IncomingJob & { format: string }) | undefined> {
  const nowEpoch = Math.floor(ports.clock.now().getTime() / 1000);
  const raw = await ports.guards.get(incomingKey(call.ctx.printerId, ippJobId), nowEpoch);
  if (!raw) return undefined;
  const incoming = JSON.parse(raw) as IncomingJob & { format: string };
  return incoming.submittedBy === submitterOf(call.ctx.principal) ? incoming : undefined;
}

/** job-id (with printer-uri) or the last segment of job-uri. */
function targetJobId(call: Call): number | undefined {
  const op = operationGroup(call);
  const id = integerOf(findAttribute(op, 'job-id'));
  if (id !== undefined) return id;
  const uri = stringOf(findAttribute(op, 'job-uri'));
  const match = uri ? /\/(\d+)$/.exec(uri) : null;
  return match ? Number(match[1]) : undefined;
}

/** The cloud job behind an IPP job-id, if the caller may see it. */
async function findJob(ports: IppPorts, call: Call, ippJobId: number): Promise<JobRecord | undefined> {
  requireTerminal(call.ctx.principal, call.ctx.printerId);
  const jobs = await ports.jobs.list(call.ctx.printerId);
  return jobs.find((job) => job.ippJobId === ippJobId && maySeeJob(call.ctx.principal, job));
}

const noJobId: Answer = { status: Status.clientErrorBadRequest, message: 'job-id (or job-uri) is required' };
const noSuchJob = (id: number): Answer => ({ status: Status.clientErrorNotFound, message: `No job ${id}` });

async function sendDocument(ports: IppPorts, convert: Converter, call: Call): Promise<Answer> {
  const ippJobId = targetJobId(call);
  if (ippJobId === undefined) return noJobId;
  const last = booleanOf(findAttribute(operationGroup(call), 'last-document'));
  if (last === undefined)
    return { status: Status.clientErrorBadRequest, message: 'last-document is required' };
  const incoming = await findIncoming(ports, call, ippJobId);
  if (!incoming) {
    if (await findJob(ports, call, ippJobId)) {
      return { status: Status.clientErrorNotPossible, message: `Job ${ippJobId} already has its document` };
    }
    return noSuchJob(ippJobId);
  }
  if (!last) {
    return {
      status: Status.serverErrorMultipleDocumentJobsNotSupported,
      message: 'A job has one document: send it with last-document true',
    };
  }
  // Accepting may have changed since Create-Job: decided again before the document is read.
  const printer = await admit(ports, call.ctx.principal, call.ctx.printerId);
  const checked = jobRequest(call);
  if (isAnswer(checked)) return checked;
  const large = tooLarge(ports, call);
  if (large) return large;
  const format = opString(call, 'document-format') ?? incoming.format;
  const nowEpoch = Math.floor(ports.clock.now().getTime() / 1000);
  // One document per job even when two Send-Documents race: the first to claim it wins.
  const claim = await ports.guards.putIfAbsent(
    `${incomingKey(printer.printerId, ippJobId)}#sent`,
    '1',
    nowEpoch + MULTIPLE_OPERATION_TIMEOUT_SECONDS,
    nowEpoch,
  );
  if (!claim.created)
    return { status: Status.clientErrorNotPossible, message: `Job ${ippJobId} already has its document` };
  try {
    await submit(ports, convert, {
      printer,
      principal: call.ctx.principal,
      ...documentOf(call, format),
      options: incoming.options,
      record: { ippJobId, requestingUserName: incoming.requestingUserName },
      deadline: call.ctx.deadline,
    });
  } catch (error) {
    // Nothing was stored: the client may send the document again.
    await ports.guards.delete(`${incomingKey(printer.printerId, ippJobId)}#sent`).catch(() => undefined);
    throw error;
  }
  await ports.guards.delete(incomingKey(printer.printerId, ippJobId));
  return acceptedAnswer({ ippJobId }, call, checked.unsupported);
}

function requestedAttributes(call: Call): string[] | undefined {
  const attribute = findAttribute(operationGroup(call), 'requested-attributes');
  return attribute?.values.flatMap((v) => (v.kind === 'string' ? [v.value] : []));
}

async function getPrinterAttributes(ports: IppPorts, call: Call): Promise<Answer> {
  requireTerminal(call.ctx.principal, call.ctx.printerId);
  const printer = await ports.printers.get(call.ctx.printerId);
  if (!printer) throw new NotFoundError('printer');
  const now = ports.clock.now();
  const open = await ports.jobs.listOpen(printer.printerId);
  const all = printerAttributes({
    printer,
    now,
    online: isOnline(printer, now, ports.settings.pollIntervalSeconds),
    printerUri: call.ctx.printerUri,
    uriSecurity: call.ctx.uriSecurity,
    moreInfo: call.ctx.moreInfo,
    queuedJobCount: open.length,
  });
  return {
    status: Status.successfulOk,
    groups: [{ tag: GroupTag.printer, attributes: selectAttributes(all, requestedAttributes(call)) }],
  };
}

const NOT_COMPLETED = new Set(['pending', 'pending-held', 'processing', 'processing-stopped']);
const JOB_GROUP_KEYWORDS = new Set(['all', 'job-description', 'job-template']);

function selectJobAttributes(all: IppAttribute[], requested: string[] | undefined): IppAttribute[] {
  if (!requested || requested.some((r) => JOB_GROUP_KEYWORDS.has(r))) return all;
  const wanted = new Set(requested);
  return all.filter((a) => wanted.has(a.name));
}

async function getJobs(ports: IppPorts, call: Call): Promise<Answer> {
  requireTerminal(call.ctx.principal, call.ctx.printerId);
  const which = opString(call, 'which-jobs') ?? 'not-completed';
  if (!['completed', 'not-completed', 'all'].includes(which)) {
    return {
      status: Status.clientErrorAttributesOrValuesNotSupported,
      message: `which-jobs ${which} is not supported`,
      groups: [{ tag: GroupTag.unsupported, attributes: [attr('which-jobs', ipp.keyword(which))] }],
    };
  }
  const myJobs = booleanOf(findAttribute(operationGroup(call), 'my-jobs')) === true;
  const user = userOf(call);
  const limit = integerOf(findAttribute(operationGroup(call), 'limit'));
  const now = ports.clock.now();
  const jobs = (await ports.jobs.list(call.ctx.printerId))
    .filter((job): job is JobRecord & { ippJobId: number } => typeof job.ippJobId === 'number')
    .filter((job) => maySeeJob(call.ctx.principal, job))
    .filter((job) => which === 'all' || (which === 'completed') !== NOT_COMPLETED.has(job.state))
    .filter((job) => !myJobs || job.requestingUserName === user)
    // Newest first, as IPP printers list them.
    .reverse()
    .slice(0, limit !== undefined && limit > 0 ? limit : undefined);
  const requested = requestedAttributes(call) ?? ['job-id', 'job-uri'];
  return {
    status: Status.successfulOk,
    groups: jobs.map((job) => ({
      tag: GroupTag.job,
      attributes: selectJobAttributes(
        jobAttributes(job, { printerUri: call.ctx.printerUri, now }),
        requested,
      ),
    })),
  };
}

async function getJobAttributes(ports: IppPorts, call: Call): Promise<Answer> {
  const ippJobId = targetJobId(call);
  if (ippJobId === undefined) return noJobId;
  const now = ports.clock.now();
  const where = { printerUri: call.ctx.printerUri, now };
  const incoming = await findIncoming(ports, call, ippJobId);
  const job = incoming ? undefined : await findJob(ports, call, ippJobId);
  if (!incoming && !job) return noSuchJob(ippJobId);
  const all = incoming
    ? incomingJobAttributes(incoming, where)
    : jobAttributes(job as JobRecord & { ippJobId: number }, where);
  return {
    status: Status.successfulOk,
    groups: [{ tag: GroupTag.job, attributes: selectJobAttributes(all, requestedAttributes(call)) }],
  };
}

async function cancel(ports: IppPorts, call: Call): Promise<Answer> {
  const ippJobId = targetJobId(call);
  if (ippJobId === undefined) return noJobId;
  const incoming = await findIncoming(ports, call, ippJobId);
  if (incoming) {
    await ports.guards.delete(incomingKey(call.ctx.printerId, ippJobId));
    return { status: Status.successfulOk };
  }
  const job = await findJob(ports, call, ippJobId);
  if (!job) return noSuchJob(ippJobId);
  try {
    await cancelJob(ports, call.ctx.principal, call.ctx.printerId, job.jobId);
  } catch (error) {
    if (error instanceof ConflictError) {
      return {
        status: Status.clientErrorNotPossible,
        message: `Job ${ippJobId} is ${job.state} and cannot be canceled`,
      };
    }
    throw error;
  }
  return { status: Status.successfulOk };
}
