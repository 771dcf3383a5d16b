/**
 * One builder per record, shared by every test: a valid record with the fields a test does not care
 * about filled in, and `overrides` for the ones it does.
 */
import type { JobRecord } from '../job.ts';
import type { Ports } from '../ports.ts';
import { DEFAULT_PRINT_OPTIONS } from '../print-options.ts';

/** A pending one-page job of printer P1, created at 2026-03-01T00:00:00Z by the owner. */
export function buildJob(overrides: Partial<JobRecord> = {}): JobRecord {
  const printerId = overrides.printerId ?? 'P1';
  const jobId = overrides.jobId ?? 'j1';
  const createdAt = overrides.createdAt ?? '2026-03-01T00:00:00.000Z';
  return {
    printerId,
    jobId,
    state: 'pending',
    reasons: [],
    title: jobId,
    format: 'application/pdf',
    sourceFormat: 'application/pdf',
    pages: 1,
    copies: 1,
    options: { ...DEFAULT_PRINT_OPTIONS },
    documentKey: `documents/${printerId}/${jobId}.pdf`,
    size: 10,
    createdAt,
    updatedAt: createdAt,
    submittedBy: 'owner',
    ...overrides,
  };
}

/**
 * Printer P1 ("Office") registered in `ports` (its token hash `h`), and accepting jobs unless `accepting`
 * is false (a new printer does not accept until its first acceptance instruction).
 */
export async function registerPrinter(ports: Pick<Ports, 'printers'>, accepting = true): Promise<void> {
  const at = '2026-03-01T00:00:00.000Z';
  await ports.printers.register({ printerId: 'P1', name: 'Office', capabilities: {}, tokenHash: 'h', at });
  if (accepting) {
    await ports.printers.setAccepting('P1', {
      acceptingJobs: true,
      reason: null,
      setBy: 'printer',
      at,
      seen: true,
    });
  }
}
