import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdempotencyRecord } from '../core/ports.ts';
import { type Engine, engineEnvironment, startDynamo, startS3 } from '../local/engines.ts';
import { DOCUMENTS_BUCKET } from '../local/names.ts';
import { DynamoGuardStore } from './dynamo-guards.ts';

let dynamo: Engine;
let s3: Engine;
let guards: DynamoGuardStore;

beforeAll(async () => {
  dynamo = await startDynamo();
  s3 = await startS3(DOCUMENTS_BUCKET);
  Object.assign(process.env, engineEnvironment(dynamo, s3));
  guards = new DynamoGuardStore();
});

afterAll(async () => {
  await s3?.stop();
  await dynamo?.stop();
});

const NOW = Date.parse('2026-03-01T00:00:00.000Z');
const record = (jobId: string, inProgressUntil = NOW + 29_000): IdempotencyRecord => ({
  jobId,
  fingerprint: 'f1',
  status: 'in-progress',
  inProgressUntil,
  expiresAtEpoch: NOW / 1000 + 86_400,
});

describe('DynamoGuardStore idempotency records', () => {
  it('keeps an in-progress record until its deadline, then lets a retry claim the key', async () => {
    // Prepare
    await guards.claimIdempotency('idem#a', record('j1'), NOW);
    // Act
    const during = await guards.claimIdempotency('idem#a', record('j2'), NOW + 28_000);
    const after = await guards.claimIdempotency('idem#a', record('j3'), NOW + 30_000);
    // Assess
    expect(during).toEqual({ created: false, record: record('j1') });
    expect(after).toEqual({ created: true });
  });

  it('keeps a completed record past the deadline until it expires', async () => {
    // Prepare
    await guards.claimIdempotency('idem#b', record('j1'), NOW);
    await guards.completeIdempotency('idem#b', 'j1');
    // Act
    const later = await guards.claimIdempotency('idem#b', record('j2'), NOW + 3600_000);
    const expired = await guards.claimIdempotency('idem#b', record('j3'), NOW + 86_401_000);
    // Assess
    expect(later).toEqual({ created: false, record: { ...record('j1'), status: 'completed' } });
    expect(expired).toEqual({ created: true });
  });

  it('releases or completes only the record of its own job', async () => {
    // Prepare: j1's request outlived its deadline and j2 took the key over
    await guards.claimIdempotency('idem#c', record('j1'), NOW);
    await guards.claimIdempotency('idem#c', record('j2', NOW + 90_000), NOW + 30_000);
    // Act
    await guards.releaseIdempotency('idem#c', 'j1');
    await guards.completeIdempotency('idem#c', 'j1');
    const held = await guards.claimIdempotency('idem#c', record('j3'), NOW + 31_000);
    // Assess
    expect(held).toEqual({ created: false, record: record('j2', NOW + 90_000) });
  });
});
