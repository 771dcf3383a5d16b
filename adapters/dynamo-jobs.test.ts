import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConditionFailedError } from '../core/errors.ts';
import type { JobRecord } from '../core/job.ts';
import { OPEN_JOBS_INDEX } from '../core/tables.ts';
import { buildJob } from '../core/testing/builders.ts';
import { type Engine, engineEnvironment, startDynamo, startS3 } from '../local/engines.ts';
import { DOCUMENTS_BUCKET } from '../local/names.ts';
import { documentClient } from './aws-clients.ts';
import { DynamoJobStore } from './dynamo-jobs.ts';

let dynamo: Engine;
let s3: Engine;
const sent: Array<{ command: string; input: Record<string, unknown>; output: Record<string, unknown> }> = [];

beforeAll(async () => {
  dynamo = await startDynamo();
  s3 = await startS3(DOCUMENTS_BUCKET);
  Object.assign(process.env, engineEnvironment(dynamo, s3));
  documentClient().middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      sent.push({
        command: context.commandName ?? '',
        input: args.input as Record<string, unknown>,
        output: result.output as Record<string, unknown>,
      });
      return result;
    },
    { step: 'initialize', name: 'testCapture' },
  );
});

afterAll(async () => {
  await s3?.stop();
  await dynamo?.stop();
});

function job(printerId: string, n: number, createdAt = '2026-03-01T00:00:00.000Z'): JobRecord {
  return buildJob({ printerId, jobId: `j${String(n).padStart(4, '0')}`, createdAt, leaseExpiresAt: null });
}

const at = '2026-03-02T00:00:00.000Z';
const later = '2026-03-02T00:05:00.000Z';

describe('DynamoJobStore.listOpen (the open-jobs index)', () => {
  it('reads only the open jobs of a printer with many finished ones, oldest first, from the index', async () => {
    // Prepare: 40 finished jobs (completed, canceled, aborted) and 3 open ones spread among them
    const store = new DynamoJobStore();
    for (let n = 0; n < 43; n++) await store.put(job('many', n));
    for (let n = 0; n < 43; n++) {
      if (n === 5 || n === 20 || n === 42) continue;
      await store.lease('many', job('many', n).jobId, { at, leaseExpiresAt: later, createdAfter: '' });
      const state = n % 3 === 0 ? 'completed' : n % 3 === 1 ? 'canceled' : 'aborted';
      await store.transition('many', job('many', n).jobId, 'processing', { state, at, leaseExpiresAt: null });
    }
    await store.lease('many', 'j0020', { at, leaseExpiresAt: later, createdAfter: '' });
    await store.transition('many', 'j0020', 'processing', { state: 'processing-stopped', at });
    await store.put(job('other', 1));
    sent.length = 0;
    // Act
    const open = await store.listOpen('many');
    // Assess
    expect(open.map((j) => [j.jobId, j.state])).toEqual([
      ['j0005', 'pending'],
      ['j0020', 'processing-stopped'],
      ['j0042', 'pending'],
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.command).toBe('QueryCommand');
    expect(sent[0]?.input).toMatchObject({ IndexName: OPEN_JOBS_INDEX.name });
    expect(sent[0]?.input.FilterExpression).toBeUndefined();
    expect(sent[0]?.output.ScannedCount).toBe(3);
    expect((await store.list('many')).length).toBe(43);
  });

  it('drops a job from the index when it is aborted for waiting too long', async () => {
    // Prepare
    const store = new DynamoJobStore();
    await store.put(job('exp', 1));
    // Act
    const aborted = await store.expire('exp', 'j0001', {
      at,
      createdBefore: at,
      reasons: ['aborted-by-system', 'job-hold-expired'],
      expiresAtEpoch: 1_900_000_000,
    });
    // Assess
    expect(aborted).toMatchObject({ state: 'aborted', reasons: ['aborted-by-system', 'job-hold-expired'] });
    expect(aborted.leaseExpiresAt).toBeUndefined();
    expect(await store.listOpen('exp')).toEqual([]);
  });
});

describe('DynamoJobStore.expire and lease (FETCHABLE_DAYS)', () => {
  it('aborts only a takeable job created at or before the cutoff; a running lease or a younger job stays', async () => {
    // Prepare
    const store = new DynamoJobStore();
    await store.put(job('unfetched', 1));
    await store.put(job('unfetched', 2));
    await store.put(job('unfetched', 3, '2026-03-01T12:00:00.000Z'));
    await store.lease('unfetched', 'j0002', { at, leaseExpiresAt: later, createdAfter: '' });
    const input = { at, createdBefore: '2026-03-01T06:00:00.000Z', reasons: ['x'], expiresAtEpoch: 1 };
    // Act
    const refused = (jobId: string) =>
      store.expire('unfetched', jobId, input).catch((error: unknown) => error);
    const leased = await refused('j0002');
    const young = await refused('j0003');
    const missing = await refused('j9999');
    const expired = await store.expire('unfetched', 'j0001', input);
    const again = await refused('j0001');
    // Assess
    expect(leased).toBeInstanceOf(ConditionFailedError);
    expect(young).toBeInstanceOf(ConditionFailedError);
    expect(missing).toBeInstanceOf(ConditionFailedError);
    expect(again).toBeInstanceOf(ConditionFailedError);
    expect(expired.state).toBe('aborted');
    expect((await store.get('unfetched', 'j0002'))?.state).toBe('processing');
  });

  it('refuses to lease a job created at or before createdAfter', async () => {
    // Prepare
    const store = new DynamoJobStore();
    await store.put(job('lease', 1));
    // Act
    const old = store.lease('lease', 'j0001', {
      at,
      leaseExpiresAt: later,
      createdAfter: job('x', 0).createdAt,
    });
    // Assess
    await expect(old).rejects.toBeInstanceOf(ConditionFailedError);
    expect((await store.get('lease', 'j0001'))?.state).toBe('pending');
  });
});
