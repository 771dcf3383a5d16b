import { describe, expect, it } from 'vitest';
import { FunctionNotSupportedError } from './device-functions.ts';
import { NotAcceptingJobsError } from './errors.ts';
import { fetchJob, getJob, scanUploadUrl, updateJobState } from './jobs.ts';
import { requestScan } from './scan-request.ts';
import { memoryPorts } from './testing/memory-ports.ts';

const owner = { kind: 'owner' } as const;
const printerPrincipal = { kind: 'access', printerId: 'P1', tokenId: 't' } as const;
const scanParams = { resolution: 300, color: 'color', source: 'flatbed', format: 'pdf' } as const;
const AT = '2026-03-01T00:00:00.000Z';

async function device(functions: string[] | undefined, accepting: boolean) {
  const ports = memoryPorts();
  const capabilities = functions ? { functions } : {};
  await ports.printers.register({ printerId: 'P1', name: 'Office', capabilities, tokenHash: 'h', at: AT });
  if (accepting)
    await ports.printers.setAccepting('P1', {
      acceptingJobs: true,
      reason: null,
      setBy: 'printer',
      at: AT,
      seen: true,
    });
  return ports;
}

describe('requestScan', () => {
  it('stores a pending scan job with its parameters and no document yet', async () => {
    // Prepare
    const ports = await device(['print', 'scan'], true);
    // Act
    const accepted = await requestScan(ports, owner, 'P1', { ...scanParams, title: 'Receipt' });
    // Assess
    const job = await ports.jobs.get('P1', accepted.jobId);
    expect(accepted.state).toBe('pending');
    expect(job).toMatchObject({
      kind: 'scan',
      scan: scanParams,
      title: 'Receipt',
      format: 'application/pdf',
    });
    expect(await ports.documents.list('documents/')).toEqual([]);
  });

  it('a device without scan: 422 naming the function, before the accepting decision; nothing stored', async () => {
    // Prepare: print only (no functions declared) and not accepting either
    const ports = await device(undefined, false);
    // Act
    const refusal = requestScan(ports, owner, 'P1', scanParams);
    // Assess
    await expect(refusal).rejects.toBeInstanceOf(FunctionNotSupportedError);
    await expect(refusal).rejects.toMatchObject({
      statusCode: 422,
      code: 'function-not-supported',
      details: { function: 'scan', functions: ['print'] },
    });
    expect(await ports.jobs.list('P1')).toEqual([]);
  });

  it('a scanner that is not accepting: the same 503 as print; nothing stored', async () => {
    // Prepare
    const ports = await device(['print', 'scan'], false);
    // Act
    const refusal = requestScan(ports, owner, 'P1', scanParams);
    // Assess
    await expect(refusal).rejects.toBeInstanceOf(NotAcceptingJobsError);
    expect(await ports.jobs.list('P1')).toEqual([]);
  });
});

describe('a scan job after the printer takes it', () => {
  it('gets upload URLs while held, keeps its result when completed and shows it to the terminal', async () => {
    // Prepare
    const ports = await device(['scan'], true);
    const { jobId } = await requestScan(ports, owner, 'P1', scanParams);
    // Act
    const fetched = await fetchJob(ports, printerPrincipal, 'P1', jobId);
    const fresh = await scanUploadUrl(ports, printerPrincipal, 'P1', jobId);
    const job = await ports.jobs.get('P1', jobId);
    await ports.documents.put(
      job?.documentKey ?? '',
      new TextEncoder().encode('%PDF-1.7'),
      'application/pdf',
    );
    await updateJobState(ports, printerPrincipal, 'P1', jobId, { state: 'completed', impressions: 1 });
    const view = await getJob(ports, owner, 'P1', jobId);
    const afterwards = scanUploadUrl(ports, printerPrincipal, 'P1', jobId);
    // Assess
    expect(fetched.documentUrl).toBeTruthy();
    expect(fresh.method).toBe('PUT');
    expect(view).toMatchObject({ kind: 'scan', state: 'completed' });
    expect(view.documentUrl).toBeTruthy();
    expect(await ports.documents.get(job?.documentKey ?? '')).toBeDefined();
    await expect(afterwards).rejects.toMatchObject({ statusCode: 409 });
  });
});
