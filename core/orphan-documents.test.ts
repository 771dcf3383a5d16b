import { describe, expect, it } from 'vitest';
import { documentKeyOf, sweepOrphanDocuments } from './orphan-documents.ts';
import { admit, submit } from './print-request.ts';
import { memoryPorts } from './testing/memory-ports.ts';

describe('sweepOrphanDocuments', () => {
  it('deletes documents whose job was never written, keeps those of jobs and recent ones', async () => {
    // Prepare: a job with its document, an orphan left by a killed request, a document being stored now
    const ports = memoryPorts();
    await ports.printers.register({
      printerId: 'P1',
      name: 'Office',
      capabilities: {},
      tokenHash: 'h',
      at: '2026-03-01T00:00:00.000Z',
    });
    await ports.printers.setAccepting('P1', {
      acceptingJobs: true,
      reason: null,
      setBy: 'printer',
      at: '2026-03-01T00:00:00.000Z',
      seen: true,
    });
    const printer = await admit(ports, { kind: 'owner' }, 'P1');
    const job = await submit(
      ports,
      async () => ({ pdf: new Uint8Array([37]), pages: 1, sourceFormat: 'image/png' }),
      {
        printer,
        principal: { kind: 'owner' },
        bytes: new Uint8Array([1]),
        contentType: 'image/png',
        options: { copies: 1, media: 'iso_a4_210x297mm', fit: 'fit', color: 'color' },
      },
    );
    await ports.documents.put(documentKeyOf('P1', 'jorphan'), new Uint8Array([1]), 'application/pdf');
    await ports.documents.put('uploads/P1/u1', new Uint8Array([1]), 'image/png');
    ports.advance(3600_000);
    await ports.documents.put(documentKeyOf('P1', 'jstoring'), new Uint8Array([1]), 'application/pdf');
    // Act
    const deleted = await sweepOrphanDocuments(ports, 60_000);
    // Assess
    expect(deleted).toEqual([documentKeyOf('P1', 'jorphan')]);
    expect([...ports.documents.items.keys()].sort()).toEqual(
      [documentKeyOf('P1', job.jobId), documentKeyOf('P1', 'jstoring'), 'uploads/P1/u1'].sort(),
    );
  });
});
