/** The printer's commands: the acceptance (stop) instruction and its status. */
import { awsPorts } from '../../adapters/ports.ts';
import { setAccepting, setStatus } from '../../core/printers.ts';
import { acceptingBodySchema, printerParamsSchema, statusBodySchema } from '../../core/schemas.ts';
import { bodyOf, httpHandler, json, pathOf, principalOf } from '../http.ts';

const ports = awsPorts();

export const handler = httpHandler<'printer-commands'>({
  'PUT /v1/printers/{printerId}/accepting-jobs': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId } = pathOf(printerParamsSchema, event);
    const body = bodyOf(acceptingBodySchema, event);
    return json(200, await setAccepting(ports, principal, printerId, body));
  },

  'PUT /v1/printers/{printerId}/status': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId } = pathOf(printerParamsSchema, event);
    const body = bodyOf(statusBodySchema, event);
    return json(200, await setStatus(ports, principal, printerId, body));
  },
});
