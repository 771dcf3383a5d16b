/** The job record and the views of it printers and terminals see. */
import type { JobState } from './job-state.ts';
import type { PrintOptions } from './print-options.ts';

export type { Media, PrintOptions } from './print-options.ts';

export interface JobRecord {
  printerId: string;
  jobId: string;
  state: JobState;
  reasons: string[];
  title: string;
  /** What the printer fetches: always application/pdf today. */
  format: string;
  sourceFormat: string;
  pages: number;
  copies: number;
  options: PrintOptions;
  documentKey: string;
  size: number;
  createdAt: string;
  updatedAt: string;
  leaseExpiresAt?: string | null;
  impressions?: number | null;
  /** `owner`, or `share:<keyId>` for a share key. */
  submittedBy: string;
  /** Jobs that came in over IPP: the printer-wide integer job-id (core/ipp/) and the client's requesting-user-name. */
  ippJobId?: number;
  requestingUserName?: string;
  /** The share key's label when the job was submitted: the owner still sees who it was after a revocation. */
  submitterLabel?: string;
  /** Epoch seconds when AWS may delete the job (TTL): far off while open, FINISHED_JOB_DAYS once finished (core/retention.ts). */
  expiresAtEpoch?: number;
}

/** What a polling printer sees in its fetchable list. */
export function fetchableView(job: JobRecord) {
  return {
    jobId: job.jobId,
    createdAt: job.createdAt,
    title: job.title,
    format: job.format,
    pages: job.pages,
  };
}

/** The full public view (no storage keys). */
export function jobView(job: JobRecord) {
  return {
    jobId: job.jobId,
    printerId: job.printerId,
    state: job.state,
    reasons: job.reasons ?? [],
    title: job.title,
    format: job.format,
    sourceFormat: job.sourceFormat,
    pages: job.pages,
    copies: job.copies,
    options: job.options,
    size: job.size,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    leaseExpiresAt: job.leaseExpiresAt ?? null,
    impressions: job.impressions ?? null,
    /** `owner` or `share:<keyId>`, and the key's label then (null for the owner or an unnamed key). */
    submittedBy: job.submittedBy,
    submitterLabel: job.submitterLabel ?? null,
  };
}

export type JobView = ReturnType<typeof jobView>;
