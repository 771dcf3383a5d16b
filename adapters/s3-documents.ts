/** DocumentStore on S3: print data under documents/, large uploads under uploads/. */

import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ENV, requireEnv } from '../core/config.ts';
import { requireSize } from '../core/errors.ts';
import type { DocumentStore } from '../core/ports.ts';
import { s3Client, s3PresignClient } from './aws-clients.ts';

/** SigV4 presigned URLs live at most 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

function secondsUntil(expiresAt: Date): number {
  const seconds = Math.ceil((expiresAt.getTime() - Date.now()) / 1000);
  return Math.min(MAX_PRESIGN_SECONDS, Math.max(1, seconds));
}

export class S3DocumentStore implements DocumentStore {
  private readonly bucket: string;

  constructor(bucket = requireEnv(ENV.documentsBucket)) {
    this.bucket = bucket;
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    await s3Client().send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: contentType }),
    );
  }

  async get(
    key: string,
    options: { maxBytes?: number } = {},
  ): Promise<{ bytes: Uint8Array; contentType: string } | undefined> {
    try {
      const out = await s3Client().send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) return undefined;
      if (options.maxBytes !== undefined && (out.ContentLength ?? 0) > options.maxBytes) {
        // Refused before reading: a presigned PUT does not bound what was uploaded.
        if (out.Body instanceof Readable) out.Body.destroy();
        requireSize(out.ContentLength ?? 0, options.maxBytes);
      }
      return { bytes: await out.Body.transformToByteArray(), contentType: out.ContentType ?? '' };
    } catch (error) {
      if (error instanceof NoSuchKey || (error instanceof Error && error.name === 'NoSuchKey'))
        return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await s3Client().send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async list(prefix: string): Promise<Array<{ key: string; modifiedAt: Date }>> {
    const found: Array<{ key: string; modifiedAt: Date }> = [];
    let token: string | undefined;
    do {
      const out = await s3Client().send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const item of out.Contents ?? []) {
        if (item.Key) found.push({ key: item.Key, modifiedAt: item.LastModified ?? new Date(0) });
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  downloadUrl(key: string, expiresAt: Date): Promise<string> {
    return getSignedUrl(s3PresignClient(), new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: secondsUntil(expiresAt),
    });
  }

  async uploadUrl(
    key: string,
    input: { contentType: string; size?: number | undefined; expiresAt: Date },
  ): Promise<{ url: string; headers: Record<string, string> }> {
    // A declared size is signed (Content-Length): S3 refuses a body of any other length, so an upload
    // ticket bounds what it takes, not only what the ticket said.
    const sized = input.size !== undefined;
    const url = await getSignedUrl(
      s3PresignClient(),
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ContentType: input.contentType,
        ...(sized ? { ContentLength: input.size } : {}),
      }),
      {
        expiresIn: secondsUntil(input.expiresAt),
        signableHeaders: new Set(sized ? ['content-type', 'content-length'] : ['content-type']),
      },
    );
    return { url, headers: { 'content-type': input.contentType } };
  }
}
