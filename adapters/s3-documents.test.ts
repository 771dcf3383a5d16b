import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PayloadTooLargeError } from '../core/errors.ts';
import { type Engine, engineEnvironment, startDynamo, startS3 } from '../local/engines.ts';
import { DOCUMENTS_BUCKET } from '../local/names.ts';
import { S3DocumentStore } from './s3-documents.ts';

let dynamo: Engine;
let s3: Engine;
let store: S3DocumentStore;

beforeAll(async () => {
  dynamo = await startDynamo();
  s3 = await startS3(DOCUMENTS_BUCKET);
  Object.assign(process.env, engineEnvironment(dynamo, s3));
  store = new S3DocumentStore(DOCUMENTS_BUCKET);
});

afterAll(async () => {
  await s3?.stop();
  await dynamo?.stop();
});

describe('S3DocumentStore.uploadUrl', () => {
  it('takes exactly the declared size: a larger or a smaller body is refused and nothing is stored', async () => {
    // Prepare
    const ticket = await store.uploadUrl('uploads/p/sized', {
      contentType: 'image/jpeg',
      size: 1000,
      expiresAt: new Date(Date.now() + 60_000),
    });
    const put = (bytes: number) =>
      fetch(ticket.url, { method: 'PUT', headers: ticket.headers, body: new Uint8Array(bytes) });
    // Act
    const larger = await put(100_000);
    const smaller = await put(999);
    const stored = await store
      .get('uploads/p/sized', { maxBytes: 1_000_000 })
      .catch((error: unknown) => error);
    const exact = await put(1000);
    // Assess
    expect(larger.status).toBe(403);
    expect(smaller.status).toBe(403);
    expect(stored).toBeUndefined();
    expect(exact.status).toBe(200);
    expect((await store.get('uploads/p/sized', { maxBytes: 1000 }))?.bytes.byteLength).toBe(1000);
  });
});

describe('S3DocumentStore.get', () => {
  it('refuses an object larger than maxBytes (413) and returns one within it', async () => {
    // Prepare
    const ticket = await store.uploadUrl('uploads/p/big', {
      contentType: 'image/jpeg',
      size: 4096,
      expiresAt: new Date(Date.now() + 60_000),
    });
    const put = await fetch(ticket.url, {
      method: 'PUT',
      headers: ticket.headers,
      body: new Uint8Array(4096),
    });
    // Act
    const tooLarge = await store.get('uploads/p/big', { maxBytes: 4095 }).catch((error: unknown) => error);
    const fits = await store.get('uploads/p/big', { maxBytes: 4096 });
    const missing = await store.get('uploads/p/none', { maxBytes: 1 });
    // Assess
    expect(put.status).toBe(200);
    expect(tooLarge).toBeInstanceOf(PayloadTooLargeError);
    expect(tooLarge).toMatchObject({ statusCode: 413, details: { limit: 4095 } });
    expect(fits?.bytes.byteLength).toBe(4096);
    expect(fits?.contentType).toBe('image/jpeg');
    expect(missing).toBeUndefined();
  });
});

describe('S3DocumentStore.list', () => {
  it('lists every object under a prefix with its time, across pages', async () => {
    // Prepare: more than one ListObjectsV2 page (1000 keys)
    const keys = Array.from(
      { length: 1003 },
      (_, i) => `documents/list-p/j${String(i).padStart(4, '0')}.pdf`,
    );
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys.slice(i, i + 50).map((key) => store.put(key, new Uint8Array([1]), 'application/pdf')),
      );
    }
    await store.put('uploads/list-p/u1', new Uint8Array([1]), 'image/png');
    // Act
    const listed = await store.list('documents/list-p/');
    // Assess
    expect(listed.map((item) => item.key).sort()).toEqual(keys);
    expect(Math.abs(Date.now() - (listed[0]?.modifiedAt.getTime() ?? 0))).toBeLessThan(120_000);
  }, 60_000);
});
