/** Secrets, hashes and PINs. Secrets are only ever stored as sha256 hashes. */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** 256 random bits, URL-safe. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** sha256 hex: the key of the credentials table and of every stored secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex hashes (different lengths are simply unequal). */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}

/** Does `secret` hash to `hash`? */
export function secretMatches(secret: string, hash: string): boolean {
  return hashesEqual(hashSecret(secret), hash);
}

/** No 0/O, 1/I/L: a person reads the PIN off a printer panel and types it. */
export const PIN_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const PIN_LENGTH = 8;

/** 8 characters of a 31-letter alphabet (~39.6 bits), shown as XXXX-XXXX. */
export function newPin(): string {
  let raw = '';
  for (let i = 0; i < PIN_LENGTH; i++) raw += PIN_ALPHABET[randomInt(PIN_ALPHABET.length)];
  return `${raw.slice(0, 4)}-${raw.slice(4)}`;
}

/** What a person typed, in canonical form: upper case, no dashes or spaces. */
export function normalizePin(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '');
}

/** The PIN is stored and looked up by this hash only. */
export function hashPin(pin: string): string {
  return hashSecret(`pin:${normalizePin(pin)}`);
}
