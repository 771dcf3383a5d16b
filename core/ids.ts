/** Identifiers. Job ids sort by creation time so one Query lists a printer's jobs oldest first. */
import { randomBytes } from 'node:crypto';

const RANDOM_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

function randomChars(count: number): string {
  const bytes = randomBytes(count);
  let out = '';
  for (const byte of bytes) out += RANDOM_ALPHABET[byte % RANDOM_ALPHABET.length];
  return out;
}

/**
 * `j` + milliseconds since the epoch in base 36, zero-padded to 9 digits (enough until the year 5188),
 * + 10 random characters so two jobs in the same millisecond still differ.
 */
export function newJobId(now: Date): string {
  return `j${now.getTime().toString(36).padStart(9, '0')}${randomChars(10)}`;
}

/** Unguessable ids that also appear in URLs (claim page, uploads). */
export function newRegistrationId(): string {
  return `r${randomBytes(16).toString('base64url')}`;
}

export function newUploadId(): string {
  return `u${randomBytes(16).toString('base64url')}`;
}

/** The public, non-secret name of a share key (`sk_` + 16 URL-safe characters): listed, revoked and recorded on jobs. */
export function newShareKeyId(): string {
  return `sk_${randomBytes(12).toString('base64url')}`;
}

/** A webhook subscription's public id (`wh_` + 16 URL-safe characters). */
export function newWebhookId(): string {
  return `wh_${randomBytes(12).toString('base64url')}`;
}

/** An event's id (`evt_…`): the same in every delivery of that event, so receivers can drop duplicates. */
export function newEventId(): string {
  return `evt_${randomBytes(12).toString('base64url')}`;
}

/** A delivery's id: `d` + base36 ms + random, time-sortable like job ids (the log lists newest first). */
export function newDeliveryId(now: Date): string {
  return `d${now.getTime().toString(36).padStart(9, '0')}${randomChars(10)}`;
}

/** A webhook's signing secret (`whsec_` + 256 random bits). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
