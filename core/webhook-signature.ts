/**
 * Webhook signatures, the cloud's side and the receiver's. The header is
 * `Cloudprint-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`: the timestamp
 * is inside what is signed, so a captured delivery cannot be replayed after the tolerance window.
 * `verifyWebhookSignature` is the receiver's code (docs/api.md shows it); it needs only node:crypto.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'cloudprint-signature';
/** How old (or how far in the future) a signature's timestamp may be: 5 minutes, as Stripe's default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function hmac(secret: string, timestamp: number, payload: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
}

/** The header value for `payload` (the exact body bytes as text) signed at `timestamp` (unix seconds). */
export function signWebhookPayload(secret: string, payload: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, payload)}`;
}

/**
 * True when `header` carries a v1 signature of `payload` by `secret` whose timestamp is within
 * `toleranceSeconds` of now. `payload` must be the raw body as received, before any JSON parsing.
 * Several `v1=` entries are allowed (any one matching is enough).
 */
export function verifyWebhookSignature(input: {
  payload: string;
  header: string | null | undefined;
  secret: string;
  toleranceSeconds?: number;
  nowSeconds?: number;
}): boolean {
  const { payload, header, secret } = input;
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (!header) return false;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && value && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  if (Math.abs(now - timestamp) > tolerance) return false;
  const expected = Buffer.from(hmac(secret, timestamp, payload), 'hex');
  return signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'hex'), expected));
}
