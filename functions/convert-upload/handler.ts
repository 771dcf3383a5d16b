/**
 * Uploads converted after they arrive (core/convert-upload.ts). On AWS the documents bucket notifies this
 * function of every object created under `incoming/` (an asynchronous invocation: Lambda retries a failed
 * one twice, then sends it to the dead-letter queue, infra/functions.ts); the local S3 engine calls it with
 * the same event shape after such a PUT (local/cloud.ts).
 */
import middy from '@middy/core';
import type { Context, S3Event } from 'aws-lambda';
import { logger } from '../../adapters/logger.ts';
import { awsPorts } from '../../adapters/ports.ts';
import { convertIsolated } from '../../core/convert-isolated.ts';
import { convertArrivedUpload } from '../../core/convert-upload.ts';

const ports = awsPorts();
/** Kept after the conversion for storing the PDF and the job. */
const STORE_RESERVE_MS = 10_000;

export const handler = middy<S3Event, void, Error, Context>().handler(async (event, context) => {
  for (const record of event.Records ?? []) {
    if (!record.eventName.startsWith('ObjectCreated:')) continue;
    // S3 event keys are URL-encoded with '+' for spaces.
    const key = decodeURIComponent(record.s3.object.key.replaceAll('+', ' '));
    const timeoutMs = Math.max(1000, context.getRemainingTimeInMillis() - STORE_RESERVE_MS);
    const outcome = await convertArrivedUpload(ports, convertIsolated, key, { timeoutMs });
    logger.info('arrived upload handled', { key, outcome });
  }
});
