import { describe, expect, it } from 'vitest';
import {
  hashesEqual,
  hashPin,
  hashSecret,
  newPin,
  newSecret,
  normalizePin,
  PIN_ALPHABET,
  secretMatches,
} from './secrets.ts';

describe('secrets', () => {
  it('draws at least 128 random bits, URL-safe, never twice the same', () => {
    // Act
    const secrets = Array.from({ length: 50 }, newSecret);
    // Assess
    expect(new Set(secrets).size).toBe(50);
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(secret, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    }
  });

  it('stores sha256 hex and compares hashes', () => {
    // Prepare
    const secret = newSecret();
    // Act
    const hash = hashSecret(secret);
    // Assess
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(secretMatches(secret, hash)).toBe(true);
    expect(secretMatches(`${secret}x`, hash)).toBe(false);
    expect(hashesEqual(hash, hash.slice(1))).toBe(false);
  });
});

describe('PIN', () => {
  it('is 8 characters of the unambiguous alphabet shown as XXXX-XXXX', () => {
    // Act
    const pins = Array.from({ length: 100 }, newPin);
    // Assess
    for (const pin of pins) {
      expect(pin).toMatch(/^.{4}-.{4}$/);
      expect([...pin.replace('-', '')].every((c) => PIN_ALPHABET.includes(c))).toBe(true);
    }
    expect(PIN_ALPHABET).not.toMatch(/[01OIL]/);
  });

  it('compares regardless of case, dashes and spaces', () => {
    // Act + Assess
    expect(normalizePin(' abcd-efgh ')).toBe('ABCDEFGH');
    expect(hashPin('abcdefgh')).toBe(hashPin('ABCD-EFGH'));
    expect(hashPin('ABCD-EFGJ')).not.toBe(hashPin('ABCD-EFGH'));
  });
});
