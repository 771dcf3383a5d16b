import { describe, expect, it } from 'vitest';
import type { Principal } from './auth.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import type { JobRecord } from './job.ts';
import { cancelJob, fetchJob, listFetchable, updateJobState } from './jobs.ts';
import { memoryPorts } from './testing/memory-ports.ts';

const printer: Principal = { kind: 'access', printerId: 'P1' };

function job(jobId: string, at: string): JobRecord {
  return {
    printerId: 'P1',
    jobId,
    state: 'pending',
    reasons: [],
    title: jobId,
    format: 'application/pdf',
    sourceFormat: 'image/jpeg',
    pages: 1,
    copies: 1,
    options: { copies: 1, media: 'iso_a4_210x297mm', fit: 'fit', color: 'color' },
    documentKey: `documents/P1/${jobId}.pdf`,
    size: 10,
    createdAt: at,
    updatedAt: at,
    submittedBy: 'owner',
  };
}

async function prepared() {
  const ports = memoryPorts();
  await ports.printers.register({
    printerId: 'P1',
    name: 'P1',
    capabilities: {},
    tokenHash: 'h',
    at: '2026-03-01T00:00:00.000Z',
  });
  await ports.jobs.put(job('j1', '2026-03-01T00:00:01.000Z'));
  await ports.jobs.put(job('j2', '2026-03-01T00:00:02.000Z'));
  return ports;
}

describe('the lease, with a fake clock', () => {
  it('takes a job for LEASE_SECONDS; it comes back when the lease runs out', async () => {
    // Prepare
    const ports = await prepared();
    // Act
    const fetched = await fetchJob(ports, printer, 'P1', 'j1');
    const whileLeased = await listFetchable(ports, printer, 'P1');
    const second = fetchJob(ports, printer, 'P1', 'j1');
    await expect(second).rejects.toBeInstanceOf(ConflictError);
    ports.advance(ports.settings.leaseSeconds * 1000);
    const afterLease = await listFetchable(ports, printer, 'P1');
    // Assess
    expect(fetched.leaseExpiresAt).toBe('2026-03-01T12:05:00.000Z');
    expect(whileLeased.map((j) => j.jobId)).toEqual(['j2']);
    expect(afterLease.map((j) => j.jobId)).toEqual(['j1', 'j2']);
  });

  it('renews the lease on processing-stopped, so a stopped job is not handed out again', async () => {
    // Prepare
    const ports = await prepared();
    await fetchJob(ports, printer, 'P1', 'j1');
    ports.advance(250_000);
    // Act
    const stopped = await updateJobState(ports, printer, 'P1', 'j1', {
      state: 'processing-stopped',
      reasons: ['media-empty'],
    });
    ports.advance(100_000);
    const listed = await listFetchable(ports, printer, 'P1');
    // Assess
    expect(stopped.leaseExpiresAt).toBe('2026-03-01T12:09:10.000Z');
    expect(listed.map((j) => j.jobId)).toEqual(['j2']);
  });

  it("refuses another printer's token with 404 and a canceled job's fetch with 409", async () => {
    // Prepare
    const ports = await prepared();
    await cancelJob(ports, { kind: 'owner' }, 'P1', 'j2');
    // Act
    const foreign = fetchJob(ports, { kind: 'access', printerId: 'P2' }, 'P1', 'j1');
    const canceled = fetchJob(ports, printer, 'P1', 'j2');
    // Assess
    await expect(foreign).rejects.toBeInstanceOf(NotFoundError);
    await expect(canceled).rejects.toBeInstanceOf(ConflictError);
    expect(ports.documents.items.size).toBe(0);
  });
});
