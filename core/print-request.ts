/**
 * The print request (patent T210–T234): decide accepting first, from one read of the printer, and
 * refuse before the document is decoded, stored or converted. Only an accepted request costs work.
 */
import { decideAccepting } from './accepting.ts';
import { type Principal, requireTerminal, submitterOf } from './auth.ts';
import { normalizeContentType, SUPPORTED_CONTENT_TYPES } from './convert.ts';
import {
  ConflictError,
  NotAcceptingJobsError,
  NotFoundError,
  requireSize,
  UnsupportedMediaTypeError,
} from './errors.ts';
import { newJobId, newUploadId } from './ids.ts';
import type { JobRecord, PrintOptions } from './job.ts';
import { JobState } from './job-state.ts';
import type { Converter, Ports } from './ports.ts';
import type { PrinterRecord } from './printer.ts';
import { pendingExpiresAtEpoch } from './retention.ts';
import type { UploadBody } from './schemas.ts';

type PrintPorts = Pick<
  Ports,
  'printers' | 'jobs' | 'guards' | 'documents' | 'notifier' | 'clock' | 'settings'
>;

/** An idempotency record outlives any sensible client retry. */
const IDEMPOTENCY_SECONDS = 24 * 3600;
/** How long an upload URL may be used. */
const UPLOAD_URL_SECONDS = 900;
/** Uploads exist for documents too large for a request body. */
export const UPLOAD_SIZE_FACTOR = 5;

/** `Image/JPG; charset=x` → `image/jpeg`: core/convert.ts owns the list and its aliases. */
export function baseContentType(header: string | undefined): string {
  return normalizeContentType(header ?? '');
}

export function requireSupportedType(contentType: string): void {
  if (!(SUPPORTED_CONTENT_TYPES as readonly string[]).includes(contentType)) {
    throw new UnsupportedMediaTypeError(
      `Content-Type "${contentType || '(none)'}" cannot be printed; send one of ${SUPPORTED_CONTENT_TYPES.join(', ')}`,
      { supported: SUPPORTED_CONTENT_TYPES },
    );
  }
}

/**
 * Authorize and decide: ONE read of the printer. Throws 404 (unknown or not visible) or 503
 * (not accepting). Returns the printer record for the rest of the request.
 */
export async function admit(
  ports: PrintPorts,
  principal: Principal,
  printerId: string,
): Promise<PrinterRecord> {
  requireTerminal(principal, printerId);
  const printer = await ports.printers.get(printerId);
  if (!printer) throw new NotFoundError('printer');
  const decision = decideAccepting(printer, ports.clock.now());
  if (!decision.accepting) throw new NotAcceptingJobsError(printerId, decision.reason, decision.message);
  return printer;
}

export interface Submission {
  printer: PrinterRecord;
  principal: Principal;
  bytes: Uint8Array;
  contentType: string;
  options: PrintOptions;
  idempotencyKey?: string | undefined;
  /** Called after the job is stored (deletes a consumed upload). */
  afterStored?: () => Promise<void>;
}

/** A submission whose document is read only once the request is known not to be a replay. */
type LazySubmission = Omit<Submission, 'bytes' | 'contentType'> & {
  document: () => Promise<{ bytes: Uint8Array; contentType: string }>;
};

export interface Accepted {
  jobId: string;
  state: string;
  replayed: boolean;
}

export function submit(ports: PrintPorts, convert: Converter, submission: Submission): Promise<Accepted> {
  const { bytes, contentType, ...rest } = submission;
  return submitDocument(ports, convert, { ...rest, document: async () => ({ bytes, contentType }) });
}

async function submitDocument(
  ports: PrintPorts,
  convert: Converter,
  submission: LazySubmission,
): Promise<Accepted> {
  const { printer } = submission;
  const now = ports.clock.now();
  const nowEpoch = Math.floor(now.getTime() / 1000);
  const jobId = newJobId(now);
  // Scoped to the submitter: two terminals that happen to pick the same key are two requests.
  const idemKey = submission.idempotencyKey
    ? `idem#${printer.printerId}#${submitterOf(submission.principal)}#${submission.idempotencyKey}`
    : undefined;
  if (idemKey) {
    // Claimed before converting, so a replay (even one racing the first request) does no work.
    const claim = await ports.guards.putIfAbsent(idemKey, jobId, nowEpoch + IDEMPOTENCY_SECONDS, nowEpoch);
    if (!claim.created) {
      const existing = await ports.jobs.get(printer.printerId, claim.value);
      // The first request is still converting (or about to fail and free the key): no job to point at yet.
      if (!existing) {
        throw new ConflictError(
          'A request with this Idempotency-Key is still being processed; retry shortly',
          {
            jobId: claim.value,
          },
        );
      }
      return { jobId: claim.value, state: existing.state, replayed: true };
    }
  }
  try {
    const { bytes, contentType } = await submission.document();
    requireSize(bytes.byteLength, ports.settings.maxDocumentBytes * UPLOAD_SIZE_FACTOR);
    const data = await convert(bytes, contentType, submission.options);
    const documentKey = `documents/${printer.printerId}/${jobId}.pdf`;
    await ports.documents.put(documentKey, data.pdf, 'application/pdf');
    const at = now.toISOString();
    const job: JobRecord = {
      printerId: printer.printerId,
      jobId,
      state: JobState.pending,
      reasons: [],
      title: submission.options.title ?? 'Untitled',
      format: 'application/pdf',
      sourceFormat: data.sourceFormat,
      pages: data.pages,
      copies: submission.options.copies,
      options: submission.options,
      documentKey,
      size: data.pdf.byteLength,
      createdAt: at,
      updatedAt: at,
      leaseExpiresAt: null,
      submittedBy: submitterOf(submission.principal),
      ...(submission.principal.kind === 'share' && submission.principal.label !== undefined
        ? { submitterLabel: submission.principal.label }
        : {}),
      expiresAtEpoch: pendingExpiresAtEpoch(now),
    };
    await ports.jobs.put(job);
  } catch (error) {
    // Nothing was accepted: let the client retry with the same key.
    if (idemKey) await ports.guards.delete(idemKey).catch(() => undefined);
    throw error;
  }
  if (submission.afterStored) await submission.afterStored().catch(() => undefined);
  // The push is a hint; the notifier never throws, and the job list stays the truth.
  if (printer.connectionId) await ports.notifier.jobAvailable(printer.printerId, printer.connectionId, jobId);
  return { jobId, state: JobState.pending, replayed: false };
}

export function uploadKey(printerId: string, uploadId: string): string {
  return `uploads/${printerId}/${uploadId}`;
}

export interface UploadTicket {
  uploadId: string;
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
}

/** A presigned PUT for a large document; refused (503) like a print request when not accepting. */
export async function createUpload(
  ports: PrintPorts,
  principal: Principal,
  printerId: string,
  body: UploadBody,
): Promise<UploadTicket> {
  await admit(ports, principal, printerId);
  const contentType = baseContentType(body.contentType);
  requireSupportedType(contentType);
  requireSize(body.size, ports.settings.maxDocumentBytes * UPLOAD_SIZE_FACTOR);
  const uploadId = newUploadId();
  const expiresAt = new Date(ports.clock.now().getTime() + UPLOAD_URL_SECONDS * 1000);
  const signed = await ports.documents.uploadUrl(uploadKey(printerId, uploadId), {
    contentType,
    size: body.size,
    expiresAt,
  });
  return {
    uploadId,
    url: signed.url,
    method: 'PUT',
    headers: signed.headers,
    expiresAt: expiresAt.toISOString(),
  };
}

/**
 * The second step of an upload: the uploaded bytes become a job like a direct request body. The upload
 * is read after the Idempotency-Key check: a retried request whose upload was already consumed (deleted
 * once its job was stored) is a replay, not an unknown upload.
 */
export function submitUpload(
  ports: PrintPorts,
  convert: Converter,
  input: Omit<Submission, 'bytes' | 'contentType' | 'afterStored'> & { uploadId: string },
): Promise<Accepted> {
  const key = uploadKey(input.printer.printerId, input.uploadId);
  return submitDocument(ports, convert, {
    ...input,
    document: async () => {
      const stored = await ports.documents.get(key, {
        maxBytes: ports.settings.maxDocumentBytes * UPLOAD_SIZE_FACTOR,
      });
      if (!stored) throw new NotFoundError('upload');
      const contentType = baseContentType(stored.contentType);
      requireSupportedType(contentType);
      return { bytes: stored.bytes, contentType };
    },
    afterStored: () => ports.documents.delete(key),
  });
}
