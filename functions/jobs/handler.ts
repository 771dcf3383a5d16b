/** Jobs: the printer lists, fetches and reports; terminals list, view and cancel. */
import { awsPorts } from '../../adapters/ports.ts';
import {
  cancelJob,
  fetchJob,
  getJob,
  listFetchable,
  listForTerminal,
  scanUploadUrl,
  updateJobState,
} from '../../core/jobs.ts';
import { jobParamsSchema, jobStateBodySchema, printerParamsSchema } from '../../core/schemas.ts';
import { bodyOf, conditional, httpHandler, json, pathOf, principalOf } from '../http.ts';

const ports = awsPorts();

export const handler = httpHandler<'jobs'>({
  'GET /v1/printers/{printerId}/jobs': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId } = pathOf(printerParamsSchema, event);
    // Who asks decides what is listed: the printer its fetchable jobs (IPP Fetch-Jobs), a terminal its jobs.
    // The contract's `which=fetchable` is therefore not read, like any other query parameter here.
    if (principal.kind === 'access') {
      const jobs = await listFetchable(ports, principal, printerId);
      return json(200, { jobs }, { 'x-poll-interval': String(ports.settings.pollIntervalSeconds) });
    }
    return json(200, { jobs: await listForTerminal(ports, principal, printerId) });
  },

  'GET /v1/printers/{printerId}/jobs/{jobId}': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId, jobId } = pathOf(jobParamsSchema, event);
    return conditional(event, json(200, await getJob(ports, principal, printerId, jobId)));
  },

  'DELETE /v1/printers/{printerId}/jobs/{jobId}': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId, jobId } = pathOf(jobParamsSchema, event);
    return json(200, await cancelJob(ports, principal, printerId, jobId));
  },

  'POST /v1/printers/{printerId}/jobs/{jobId}/fetch': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId, jobId } = pathOf(jobParamsSchema, event);
    return json(200, await fetchJob(ports, principal, printerId, jobId));
  },

  'POST /v1/printers/{printerId}/jobs/{jobId}/scan-upload': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId, jobId } = pathOf(jobParamsSchema, event);
    return json(200, await scanUploadUrl(ports, principal, printerId, jobId));
  },

  'PUT /v1/printers/{printerId}/jobs/{jobId}/state': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId, jobId } = pathOf(jobParamsSchema, event);
    const body = bodyOf(jobStateBodySchema, event);
    return json(200, await updateJobState(ports, principal, printerId, jobId, body));
  },
});
