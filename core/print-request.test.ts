import { describe, expect, it } from 'vitest';
import { NotAcceptingJobsError, UnprocessableDocumentError } from './errors.ts';
import type { Converter } from './ports.ts';
import { admit, submit } from './print-request.ts';
import { memoryPorts } from './testing/memory-ports.ts';

const owner = { kind: 'owner' } as const;
const options = { copies: 1, media: 'iso_a4_210x297mm', fit: 'fit', color: 'color' } as const;

function countingConverter() {
  const calls: string[] = [];
  const convert: Converter = async (_bytes, contentType) => {
    calls.push(contentType);
    return { pdf: new TextEncoder().encode('%PDF-1.7'), pages: 1, sourceFormat: contentType };
  };
  return { calls, convert };
}

async function prepared(accepting: boolean) {
  const ports = memoryPorts();
  await ports.printers.register({
    printerId: 'P1',
    name: 'Office',
    capabilities: {},
    tokenHash: 'h',
    at: '2026-03-01T00:00:00.000Z',
  });
  if (accepting) {
    await ports.printers.setAccepting('P1', {
      acceptingJobs: true,
      reason: null,
      setBy: 'printer',
      at: '2026-03-01T00:00:00.000Z',
      seen: true,
    });
  }
  return ports;
}

describe('admit', () => {
  it('refuses a printer that is not accepting with 503 and its reason', async () => {
    // Prepare
    const ports = await prepared(false);
    // Act
    const refusal = admit(ports, owner, 'P1');
    // Assess
    await expect(refusal).rejects.toBeInstanceOf(NotAcceptingJobsError);
    await expect(refusal).rejects.toMatchObject({
      statusCode: 503,
      details: { printerId: 'P1', reason: 'paused' },
    });
  });
});

describe('submit', () => {
  it('converts once, stores the PDF and the job, and pushes a hint to the open connection', async () => {
    // Prepare
    const ports = await prepared(true);
    await ports.printers.connected('P1', 'c1', '2026-03-01T00:00:00.000Z');
    const printer = await admit(ports, owner, 'P1');
    const { calls, convert } = countingConverter();
    // Act
    const accepted = await submit(ports, convert, {
      printer,
      principal: owner,
      bytes: new Uint8Array([1]),
      contentType: 'image/png',
      options,
    });
    // Assess
    expect(calls).toEqual(['image/png']);
    expect(ports.documents.items.has(`documents/P1/${accepted.jobId}.pdf`)).toBe(true);
    expect((await ports.jobs.get('P1', accepted.jobId))?.state).toBe('pending');
    expect(ports.notifier.sent).toEqual([
      {
        printerId: 'P1',
        connectionId: 'c1',
        message: { type: 'job-available', jobId: accepted.jobId, printerId: 'P1' },
      },
    ]);
  });

  it('frees the Idempotency-Key when conversion fails, so the retry can succeed', async () => {
    // Prepare
    const ports = await prepared(true);
    const printer = await admit(ports, owner, 'P1');
    const failing: Converter = async () => {
      throw new UnprocessableDocumentError('corrupt');
    };
    const { convert } = countingConverter();
    const input = {
      printer,
      principal: owner,
      bytes: new Uint8Array([1]),
      contentType: 'image/png',
      options,
      idempotencyKey: 'k1',
    };
    // Act
    await expect(submit(ports, failing, input)).rejects.toBeInstanceOf(UnprocessableDocumentError);
    const retry = await submit(ports, convert, input);
    const replay = await submit(ports, convert, input);
    // Assess
    expect(retry.replayed).toBe(false);
    expect(replay).toEqual({ jobId: retry.jobId, state: 'pending', replayed: true });
    expect(ports.jobs.items.size).toBe(1);
  });
});
