import { readFile } from 'node:fs/promises';
import type { S3Event } from 'aws-lambda';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, httpEvent, lambdaContext, startTestCloud, type TestCloud } from './testing/cloud.ts';
import { type Handlers, loadHandlers, registerPrinter } from './testing/flows.ts';

let cloud: TestCloud;
let handlers: Handlers;
let convertUpload: (event: S3Event, context: typeof lambdaContext) => Promise<void>;
let fixture: S3Event;
let token: string;

beforeAll(async () => {
  // Every upload above 1000 bytes is converted after it arrives.
  cloud = await startTestCloud({ ASYNC_CONVERSION_BYTES: '1000' });
  handlers = await loadHandlers();
  convertUpload = (await import('./convert-upload/handler.ts')).handler;
  fixture = JSON.parse(
    await readFile(new URL('../test/fixtures/s3/object-created-put.json', import.meta.url), 'utf8'),
  ) as S3Event;
  token = await registerPrinter(handlers, cloud, 'pr-a', { accepting: true });
});

afterAll(async () => {
  await cloud?.stop();
});

/** The fixture event for `key`, URL-encoded as S3 sends it. */
function arrival(key: string): S3Event {
  const event = structuredClone(fixture);
  const record = event.Records[0];
  if (!record) throw new Error('fixture without a record');
  record.s3.bucket.name = cloud.bucket;
  record.s3.object.key = encodeURIComponent(key).replaceAll('%2F', '/');
  return event;
}

/** Asks for a ticket and PUTs `bytes` to its URL (the local S3 checks the signature). */
async function upload(bytes: Buffer, contentType: string) {
  const ticket = await call(
    handlers.print,
    httpEvent('POST /v1/printers/{printerId}/uploads', {
      pathParameters: { printerId: 'pr-a' },
      token: cloud.ownerKey,
      body: { contentType, size: bytes.byteLength },
      headers: { 'content-type': 'application/json' },
    }),
  );
  const { url, headers, jobId } = ticket.body as {
    url: string;
    headers: Record<string, string>;
    jobId: string;
  };
  const put = await fetch(url, { method: 'PUT', headers, body: bytes });
  expect(put.status).toBe(200);
  return { jobId, key: new URL(url).pathname.split('/').slice(2).join('/') };
}

function view(jobId: string) {
  return call(
    handlers.jobs,
    httpEvent('GET /v1/printers/{printerId}/jobs/{jobId}', {
      pathParameters: { printerId: 'pr-a', jobId },
      token: cloud.ownerKey,
    }),
  );
}

function printerListing() {
  return call(
    handlers.jobs,
    httpEvent('GET /v1/printers/{printerId}/jobs', { pathParameters: { printerId: 'pr-a' }, token }),
  );
}

describe('convert-upload handler (S3 ObjectCreated event)', () => {
  it('converts the arrived upload named by the event and makes its job fetchable', async () => {
    // Prepare
    const jpeg = await sharp({
      create: {
        width: 200,
        height: 100,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .jpeg()
      .toBuffer();
    const { jobId, key } = await upload(jpeg, 'image/jpeg');
    const before = await view(jobId);
    const listedBefore = await printerListing();
    // Act
    await convertUpload(arrival(key), lambdaContext);
    // Assess
    expect(key).toBe(`incoming/pr-a/${jobId}`);
    expect(before.body).toMatchObject({ state: 'pending', reasons: ['job-incoming'] });
    expect(JSON.stringify(listedBefore.body)).not.toContain(jobId);
    expect((await view(jobId)).body).toMatchObject({ state: 'pending', reasons: [], pages: 1 });
    expect(JSON.stringify((await printerListing()).body)).toContain(jobId);
  });

  it('aborts the job with a document reason when the upload is no image', async () => {
    // Prepare
    const { jobId, key } = await upload(Buffer.alloc(4000, 7), 'image/jpeg');
    // Act
    await convertUpload(arrival(key), lambdaContext);
    // Assess
    const job = (await view(jobId)).body as { state: string; reasons: string[] };
    expect(job.state).toBe('aborted');
    expect(job.reasons.some((r) => r === 'document-format-error' || r === 'document-unprintable-error')).toBe(
      true,
    );
  });

  it('ignores an event for a key outside incoming/', async () => {
    // Act
    const handled = convertUpload(arrival('uploads/pr-a/u-1'), lambdaContext);
    // Assess
    await expect(handled).resolves.toBeUndefined();
  });
});
