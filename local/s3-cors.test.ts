import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Engine, startS3 } from './engines.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './names.ts';

const BUCKET = 'cors-test-bucket';
const ORIGIN = 'http://127.0.0.1:8787';

describe('the embedded S3 answers browsers as the documents bucket does (CORS, large PUTs)', () => {
  let s3: Engine;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startS3(BUCKET);
    client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
  });
  afterAll(() => s3?.stop());

  const putUrl = (key: string) =>
    getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: key, ContentType: 'image/jpeg' }), {
      expiresIn: 60,
    });

  it('answers the preflight of a PUT and adds the allow-origin header to the PUT itself', async () => {
    // Prepare
    const url = await putUrl('small');
    // Act
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type',
      },
    });
    const refused = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'DELETE' },
    });
    const put = await fetch(url, {
      method: 'PUT',
      headers: { origin: ORIGIN, 'content-type': 'image/jpeg' },
      body: new Uint8Array(1000),
    });
    // Assess
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(refused.status).toBe(403);
    expect(put.status).toBe(200);
    expect(put.headers.get('access-control-allow-origin')).toBe('*');
    expect(put.headers.get('access-control-expose-headers')).toBe('ETag');
  });

  it('stores a 13 MB PUT (above what fauxqs takes in one request) whole, byte for byte', async () => {
    // Prepare
    const url = await putUrl('large');
    const bytes = new Uint8Array(13 * 1024 * 1024).map((_, i) => (i * 31) % 251);
    // Act
    const put = await fetch(url, {
      method: 'PUT',
      headers: { origin: ORIGIN, 'content-type': 'image/jpeg' },
      body: bytes,
    });
    const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'large' }));
    const back = await stored.Body?.transformToByteArray();
    // Assess
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toMatch(/^"[0-9a-f]+-2"$/);
    expect(stored.ContentType).toBe('image/jpeg');
    expect(back?.byteLength).toBe(bytes.byteLength);
    expect(Buffer.from(back ?? []).equals(Buffer.from(bytes))).toBe(true);
  });
});
