import { describe, expect, it } from 'vitest';
import { signWebhookPayload, verifyWebhookSignature } from './webhook-signature.ts';

const secret = 'whsec_test-secret';
const payload = '{"id":"evt_1","type":"job.completed","createdAt":"2026-03-01T12:00:00.000Z","data":{}}';
const t = 1_772_366_400;

describe('verifyWebhookSignature', () => {
  it('accepts a signature made by the cloud with the same secret, within the window', () => {
    // Prepare
    const header = signWebhookPayload(secret, payload, t);

    // Act
    const valid = verifyWebhookSignature({ payload, header, secret, nowSeconds: t + 299 });

    // Assess
    expect(header).toMatch(/^t=1772366400,v1=[0-9a-f]{64}$/);
    expect(valid).toBe(true);
  });

  it('rejects a forged signature, another secret, and a changed body', () => {
    // Prepare
    const header = signWebhookPayload(secret, payload, t);
    const forged = `t=${t},v1=${'0'.repeat(64)}`;

    // Act
    const results = [
      verifyWebhookSignature({ payload, header: forged, secret, nowSeconds: t }),
      verifyWebhookSignature({ payload, header, secret: 'whsec_other', nowSeconds: t }),
      verifyWebhookSignature({
        payload: payload.replace('completed', 'aborted'),
        header,
        secret,
        nowSeconds: t,
      }),
    ];

    // Assess
    expect(results).toEqual([false, false, false]);
  });

  it('rejects a stale or future timestamp (replay window), even with a valid HMAC', () => {
    // Prepare
    const header = signWebhookPayload(secret, payload, t);
    const retimed = header.replace(`t=${t}`, `t=${t + 1000}`);

    // Act
    const stale = verifyWebhookSignature({ payload, header, secret, nowSeconds: t + 301 });
    const future = verifyWebhookSignature({ payload, header, secret, nowSeconds: t - 301 });
    const moved = verifyWebhookSignature({ payload, header: retimed, secret, nowSeconds: t + 1000 });
    const wider = verifyWebhookSignature({
      payload,
      header,
      secret,
      nowSeconds: t + 301,
      toleranceSeconds: 600,
    });

    // Assess
    expect([stale, future, moved]).toEqual([false, false, false]);
    expect(wider).toBe(true);
  });

  it('rejects a missing or malformed header, and accepts any one of several v1 signatures', () => {
    // Prepare
    const good = signWebhookPayload(secret, payload, t);
    const rotated = `${good},v1=${'a'.repeat(64)}`.replace(/v1=([0-9a-f]{64}),v1=(a+)/, 'v1=$2,v1=$1');

    // Act
    const results = [undefined, '', 'v1=abc', `t=${t}`, `t=abc,v1=${'0'.repeat(64)}`].map((header) =>
      verifyWebhookSignature({ payload, header, secret, nowSeconds: t }),
    );

    // Assess
    expect(results).toEqual([false, false, false, false, false]);
    expect(verifyWebhookSignature({ payload, header: rotated, secret, nowSeconds: t })).toBe(true);
  });
});
