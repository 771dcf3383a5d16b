/**
 * Hostile documents through the print-request handler (issue 6, findings 2–4): refused within seconds
 * with 413, nothing stored; a request out of time stores nothing; Idempotency-Key reuse with another
 * document is 422.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hugeTiff, pdfBomb } from '../core/testing/hostile-documents.ts';
import { call, httpEvent, lambdaContext, startTestCloud, type TestCloud } from './testing/cloud.ts';
import { type Handlers, loadHandlers, registerPrinter } from './testing/flows.ts';

let cloud: TestCloud;
let handlers: Handlers;
let jpeg: Buffer;

beforeAll(async () => {
  cloud = await startTestCloud();
  handlers = await loadHandlers();
  await registerPrinter(handlers, cloud, 'hd-1', { accepting: true });
  jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: 'red' } })
    .jpeg()
    .toBuffer();
});

afterAll(async () => {
  await cloud?.stop();
});

function print(body: Uint8Array, type: string, headers: Record<string, string> = {}, remainingMs = 10_000) {
  const event = httpEvent('POST /v1/printers/{printerId}/jobs', {
    pathParameters: { printerId: 'hd-1' },
    token: cloud.ownerKey,
    body,
    headers: { 'content-type': type, ...headers },
  });
  const handler = (e: never) =>
    handlers.print(e, { ...lambdaContext, getRemainingTimeInMillis: () => remainingMs } as never);
  return call(handler as never, event);
}

async function stored() {
  const { s3Client } = await import('../adapters/aws-clients.ts');
  const listing = await s3Client().send(
    new ListObjectsV2Command({ Bucket: cloud.bucket, Prefix: 'documents/hd-1/' }),
  );
  const jobs = await call(
    handlers.jobs,
    httpEvent('GET /v1/printers/{printerId}/jobs', {
      pathParameters: { printerId: 'hd-1' },
      token: cloud.ownerKey,
    }),
  );
  return { documents: listing.KeyCount ?? 0, jobs: (jobs.body.jobs as unknown[]).length };
}

describe('hostile documents', () => {
  it('refuses a 3 KB PDF that inflates to 1 GiB with 413 within seconds, storing nothing', async () => {
    // Prepare
    const before = await stored();
    const bomb = await pdfBomb(1024 ** 3);
    const started = performance.now();
    // Act
    const answer = await print(bomb, 'application/pdf');
    // Assess
    expect(answer.status).toBe(413);
    expect(answer.body.message).toMatch(/inflate/);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await stored()).toEqual(before);
  }, 30_000);

  it('refuses a TIFF of 100 pages of 100 megapixels with 413 before decoding, storing nothing', async () => {
    // Prepare
    const before = await stored();
    const started = performance.now();
    // Act
    const answer = await print(hugeTiff(100, 10_000, 10_000), 'image/tiff');
    // Assess
    expect(answer.status).toBe(413);
    expect(answer.body.message).toMatch(/megapixels/);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await stored()).toEqual(before);
  }, 30_000);

  it('stores nothing when too little of the request deadline is left to convert and store', async () => {
    // Prepare
    const before = await stored();
    // Act
    const answer = await print(jpeg, 'image/jpeg', {}, 2000);
    // Assess
    expect(answer.status).toBe(503);
    expect(answer.body.error).toBe('deadline-exceeded');
    expect(await stored()).toEqual(before);
  });
});

describe('Idempotency-Key', () => {
  it('answers the same key with the same document with the first job, with another document 422', async () => {
    // Prepare
    const other = await sharp({ create: { width: 64, height: 64, channels: 3, background: 'blue' } })
      .jpeg()
      .toBuffer();
    // Act
    const first = await print(jpeg, 'image/jpeg', { 'idempotency-key': 'hd-key-1' });
    const same = await print(jpeg, 'image/jpeg', { 'idempotency-key': 'hd-key-1' });
    const different = await print(other, 'image/jpeg', { 'idempotency-key': 'hd-key-1' });
    // Assess
    expect(first.status).toBe(202);
    expect(same.status).toBe(202);
    expect(same.body.jobId).toBe(first.body.jobId);
    expect(different.status).toBe(422);
    expect(different.body.error).toBe('idempotency-key-reused');
  });
});
