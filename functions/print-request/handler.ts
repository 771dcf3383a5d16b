/**
 * Print requests and uploads: parse the HTTP request, make one core call, answer. The accepting decision
 * comes first inside core (one read of the printer): a refused request is answered before its body is
 * decoded, stored or converted (patent T230–T234). Conversion runs in a worker with a time limit.
 */
import type { Context } from 'aws-lambda';
import { awsPorts } from '../../adapters/ports.ts';
import { convertIsolated } from '../../core/convert-isolated.ts';
import { NotAcceptingJobsError } from '../../core/errors.ts';
import { baseContentType, createUpload, type PrintDocument, requestPrint } from '../../core/print-request.ts';
import { requestScan } from '../../core/scan-request.ts';
import {
  faxQuerySchema,
  idempotencyKeySchema,
  printerParamsSchema,
  printOptionsSchema,
  scanBodySchema,
  uploadBodySchema,
  uploadJobBodySchema,
} from '../../core/schemas.ts';
import {
  bodyBytes,
  bodyOf,
  bodySize,
  type ErrorRenderer,
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

/** A browser gets the refusal as a page (screen SC3); everyone else the one JSON mapping. */
const refusalForBrowsers: ErrorRenderer = (error, event) =>
  error instanceof NotAcceptingJobsError && prefersHtml(event)
    ? html(503, refusalPage(error), { 'retry-after': '60' })
    : undefined;

/** A print, or a fax (`kind: 'fax'`, its number): the same request, accepted and converted the same way. */
async function printJob(event: HttpEvent, context: Context, fax?: { to: string }): Promise<HttpResult> {
  const principal = await principalOf(event, ports);
  const { printerId } = pathOf(printerParamsSchema, event);
  const contentType = baseContentType(header(event, 'content-type'));
  let document: PrintDocument;
  let options = validate(printOptionsSchema, event.queryStringParameters ?? {}, 'query');
  if (contentType === 'application/json') {
    const body = bodyOf(uploadJobBodySchema, event);
    document = { kind: 'upload', uploadId: body.uploadId };
    options = body.options;
  } else {
    document = { kind: 'body', contentType, size: bodySize(event), bytes: () => bodyBytes(event) };
  }
  const accepted = await requestPrint(ports, convertIsolated, {
    principal,
    printerId,
    document,
    options,
    idempotencyKey: idempotencyKey(event),
    deadline: ports.clock.now().getTime() + context.getRemainingTimeInMillis(),
    ...(fax ? { record: { kind: 'fax' as const, fax } } : {}),
  });
  return json(202, { jobId: accepted.jobId, state: accepted.state });
}

export const handler = httpHandler<'print-request'>(
  {
    'POST /v1/printers/{printerId}/jobs': (event, context) => printJob(event, context),

    'POST /v1/printers/{printerId}/faxes': (event, context) => {
      const { to } = validate(faxQuerySchema, event.queryStringParameters ?? {}, 'query');
      return printJob(event, context, { to });
    },

    'POST /v1/printers/{printerId}/scans': async (event) => {
      const principal = await principalOf(event, ports);
      const { printerId } = pathOf(printerParamsSchema, event);
      const body = bodyOf(scanBodySchema, event);
      const accepted = await requestScan(ports, principal, printerId, body);
      return json(202, { jobId: accepted.jobId, state: accepted.state });
    },

    'POST /v1/printers/{printerId}/uploads': async (event) => {
      const principal = await principalOf(event, ports);
      const { printerId } = pathOf(printerParamsSchema, event);
      const body = bodyOf(uploadBodySchema, event);
      return json(201, await createUpload(ports, principal, printerId, body));
    },
  },
  [refusalForBrowsers],
);
