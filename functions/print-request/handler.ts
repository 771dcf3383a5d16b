/**
 * Print requests and uploads. The accepting decision comes first, from one read of the printer:
 * a refused request is answered before its body is decoded, stored or converted (patent T230–T234).
 */
import { awsPorts } from '../../adapters/ports.ts';
import type { Principal } from '../../core/auth.ts';
import { convertDocument } from '../../core/convert.ts';
import { NotAcceptingJobsError, requireSize } from '../../core/errors.ts';
import {
  admit,
  baseContentType,
  createUpload,
  requireSupportedType,
  submit,
  submitUpload,
} from '../../core/print-request.ts';
import type { PrinterRecord } from '../../core/printer.ts';
import {
  idempotencyKeySchema,
  printerParamsSchema,
  printOptionsSchema,
  uploadBodySchema,
  uploadJobBodySchema,
} from '../../core/schemas.ts';
import {
  bodyBytes,
  bodyOf,
  bodySize,
  type HttpEvent,
  type HttpResult,
  header,
  html,
  httpHandler,
  json,
  pathOf,
  prefersHtml,
  principalOf,
  validate,
} from '../http.ts';
import { refusalPage } from './refusal-page.ts';

const ports = awsPorts();

function idempotencyKey(event: HttpEvent): string | undefined {
  const key = header(event, 'idempotency-key');
  return key === undefined ? undefined : validate(idempotencyKeySchema, key, 'header');
}

/** Refusal as a page for a browser (screen SC3), as JSON (the one error mapping) for everyone else. */
async function admitted(
  event: HttpEvent,
  principal: Principal,
  printerId: string,
): Promise<PrinterRecord | HttpResult> {
  try {
    return await admit(ports, principal, printerId);
  } catch (error) {
    if (error instanceof NotAcceptingJobsError && prefersHtml(event)) {
      return html(503, refusalPage(error), { 'retry-after': '60' });
    }
    throw error;
  }
}

async function printJob(event: HttpEvent): Promise<HttpResult> {
  const principal = await principalOf(event, ports);
  const { printerId } = pathOf(printerParamsSchema, event);
  const printer = await admitted(event, principal, printerId);
  if (!('printerId' in printer)) return printer;
  const contentType = baseContentType(header(event, 'content-type'));
  const key = idempotencyKey(event);
  if (contentType === 'application/json') {
    const body = bodyOf(uploadJobBodySchema, event);
    const accepted = await submitUpload(ports, convertDocument, {
      printer,
      principal,
      uploadId: body.uploadId,
      options: body.options,
      idempotencyKey: key,
    });
    return json(202, { jobId: accepted.jobId, state: accepted.state });
  }
  requireSupportedType(contentType);
  requireSize(bodySize(event), ports.settings.maxDocumentBytes);
  const options = validate(printOptionsSchema, event.queryStringParameters ?? {}, 'query');
  const accepted = await submit(ports, convertDocument, {
    printer,
    principal,
    bytes: bodyBytes(event),
    contentType,
    options,
    idempotencyKey: key,
  });
  return json(202, { jobId: accepted.jobId, state: accepted.state });
}

export const handler = httpHandler<'print-request'>({
  'POST /v1/printers/{printerId}/jobs': printJob,

  'POST /v1/printers/{printerId}/uploads': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId } = pathOf(printerParamsSchema, event);
    const body = bodyOf(uploadBodySchema, event);
    return json(201, await createUpload(ports, principal, printerId, body));
  },
});
