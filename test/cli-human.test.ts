/**
 * The CLI's human output says a printer's refusal reason in the same words as the app and the 503 page
 * (core/reason-words.ts, the one home), never the bare keyword.
 */
import { describe, expect, it } from 'vitest';
import * as human from '../cli/human.ts';
import { REASON_WORDS } from '../core/reason-words.ts';

describe('cli/human: refusal reasons in words', () => {
  it('says why a print was refused (503 not-accepting-jobs) in the shared words', () => {
    // Act
    const line = human.error(503, {
      error: 'not-accepting-jobs',
      printerId: 'Home',
      reason: 'toner-empty',
      message: 'Printer Home is not accepting jobs (toner-empty)',
    });

    // Assess
    expect(line).toBe(
      `Printer Home is not accepting jobs: ${REASON_WORDS['toner-empty']}. Nothing was sent [not-accepting-jobs].`,
    );
  });

  it('quotes a reason keyword it has no words for, and says when no reason came', () => {
    // Act
    const unknown = human.error(503, { error: 'not-accepting-jobs', printerId: 'Home', reason: 'x-vendor' });
    const none = human.error(503, { error: 'not-accepting-jobs', printerId: 'Home' });

    // Assess
    expect(unknown).toContain('the printer reports "x-vendor"');
    expect(none).toContain('not accepting jobs: no reason given.');
  });

  it('lists a printer that refuses now with the reason in words, counting an offline printer', () => {
    // Prepare: accepting by its own flag, but offline past the owner's grace (acceptsNow false)
    const list = [
      { printerId: 'Home', name: 'Home', acceptingJobs: true, acceptsNow: false, refusalReason: 'offline' },
      { printerId: 'Desk', name: 'Desk', acceptingJobs: false, acceptingReason: 'media-empty' },
      { printerId: 'Hall', name: 'Hall', acceptingJobs: true, acceptsNow: true },
    ];

    // Act
    const text = human.printers(list);

    // Assess
    const rows = text.split('\n');
    expect(rows[1]).toContain(`not accepting: ${REASON_WORDS.offline}`);
    expect(rows[2]).toContain(`not accepting: ${REASON_WORDS['media-empty']}`);
    expect(rows[3]).toMatch(/Hall\s+accepting\s/);
    expect(text).not.toMatch(/\((offline|media-empty)\)/);
  });
});
