import { describe, expect, it } from 'vitest';
import type { Principal } from './auth.ts';
import { ConditionFailedError } from './errors.ts';
import { finishJob } from './finish-job.ts';
import type { JobRecord } from './job.ts';
import { cancelJob, fetchJob, getJob, listFetchable, updateJobState } from './jobs.ts';
import { FETCHABLE_DAYS, finishedExpiresAtEpoch } from './retention.ts';
import { buildJob } from './testing/builders.ts';
import { type MemoryPorts, memoryPorts } from './testing/memory-ports.ts';

const printer: Principal = { kind: 'access', printerId: 'P1' };
const owner: Principal = { kind: 'owner' };
const DAY = 24 * 3600 * 1000;

function job(jobId: string, createdAt: string): JobRecord {
  return buildJob({ jobId, createdAt, size: 1, expiresAtEpoch: 9_999_999_999 });
}

/** A printer with job `j1` (created now) and its document. */
async function prepared(): Promise<MemoryPorts> {
  const ports = memoryPorts();
  const at = ports.clock.now().toISOString();
  await ports.printers.register({ printerId: 'P1', name: 'P1', capabilities: {}, tokenHash: 'h', at });
  await ports.jobs.put(job('j1', at));
  await ports.documents.put('documents/P1/j1.pdf', new Uint8Array([1]), 'application/pdf');
  return ports;
}

/** Every way a job ends, through the services that end it. */
const endings: Array<[string, (ports: MemoryPorts) => Promise<unknown>, string]> = [
  [
    'the printer reports completed',
    async (ports) => {
      await fetchJob(ports, printer, 'P1', 'j1');
      await updateJobState(ports, printer, 'P1', 'j1', { state: 'completed', impressions: 1 });
    },
    'completed',
  ],
  [
    'the printer reports aborted',
    async (ports) => {
      await fetchJob(ports, printer, 'P1', 'j1');
      await updateJobState(ports, printer, 'P1', 'j1', {
        state: 'aborted',
        reasons: ['document-format-error'],
      });
    },
    'aborted',
  ],
  ['a terminal cancels a pending job', (ports) => cancelJob(ports, owner, 'P1', 'j1'), 'canceled'],
  [
    'a terminal cancels a job being printed',
    async (ports) => {
      await fetchJob(ports, printer, 'P1', 'j1');
      await cancelJob(ports, owner, 'P1', 'j1');
    },
    'canceled',
  ],
  [
    'it stays unfetched past FETCHABLE_DAYS (seen by the printer listing)',
    async (ports) => {
      ports.advance(FETCHABLE_DAYS * DAY);
      await listFetchable(ports, printer, 'P1');
    },
    'aborted',
  ],
  [
    'it stays unfetched past FETCHABLE_DAYS (seen by a terminal)',
    async (ports) => {
      ports.advance(FETCHABLE_DAYS * DAY + 1);
      await getJob(ports, owner, 'P1', 'j1');
    },
    'aborted',
  ],
];

describe('finishJob: every end of a job', () => {
  it.each(endings)(
    '%s: finished state, lease cleared, finished TTL, document deleted',
    async (_, end, state) => {
      // Prepare
      const ports = await prepared();
      // Act
      await end(ports);
      // Assess
      const finished = await ports.jobs.get('P1', 'j1');
      expect(finished?.state).toBe(state);
      expect(finished?.leaseExpiresAt ?? null).toBeNull();
      expect(finished?.expiresAtEpoch).toBe(finishedExpiresAtEpoch(ports.clock.now()));
      expect(ports.documents.items.has('documents/P1/j1.pdf')).toBe(false);
      expect(ports.log.warnings).toEqual([]);
    },
  );

  it.each(endings)('%s: a failing document delete is logged, not thrown', async (_, end, state) => {
    // Prepare: the document store refuses every delete
    const ports = await prepared();
    ports.documents.delete = async () => {
      throw new Error('S3 is down');
    };
    // Act
    await end(ports);
    // Assess: the job is finished all the same; the kept document is reported
    expect((await ports.jobs.get('P1', 'j1'))?.state).toBe(state);
    expect(ports.documents.items.has('documents/P1/j1.pdf')).toBe(true);
    expect(ports.log.warnings).toEqual([
      {
        message: 'finished job kept its document: delete failed',
        fields: expect.objectContaining({
          jobId: 'j1',
          documentKey: 'documents/P1/j1.pdf',
          error: 'S3 is down',
        }),
      },
    ]);
  });

  it('deletes nothing when its conditional write loses (the job moved meanwhile)', async () => {
    // Prepare: the caller read j1 pending; the printer has taken it since
    const ports = await prepared();
    const read = await ports.jobs.get('P1', 'j1');
    await fetchJob(ports, printer, 'P1', 'j1');
    // Act
    const lost = finishJob(ports, read as JobRecord, { state: 'canceled' }, ports.clock.now());
    // Assess
    await expect(lost).rejects.toBeInstanceOf(ConditionFailedError);
    expect((await ports.jobs.get('P1', 'j1'))?.state).toBe('processing');
    expect(ports.documents.items.has('documents/P1/j1.pdf')).toBe(true);
  });
});
