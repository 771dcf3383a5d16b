/**
 * How long the cloud keeps things, in one place. infra/data.ts derives the documents bucket's
 * lifecycle from these, so the print data of a job the cloud still offers is never gone before it.
 */

const DAY_MS = 24 * 3600 * 1000;

/**
 * A job stays fetchable (IPP INFRA's word for a job waiting for its printer to take it: pending, or taken
 * and its lease run out) this long after its creation; then it is aborted, unfetched.
 */
export const FETCHABLE_DAYS = 30;

/** A finished job (completed, aborted, canceled) stays visible this long before AWS may expire it (TTL). */
export const FINISHED_JOB_DAYS = 30;

/**
 * Print data outlives the longest a job can wait plus a last lease (leases are minutes: a day covers
 * any LEASE_SECONDS an owner would set). S3 lifecycle days count from the upload, which is when the
 * job is created, and AWS rounds them up to the next midnight UTC, never down.
 */
export const DOCUMENT_RETENTION_DAYS = FETCHABLE_DAYS + 1;

/**
 * The job-state-reason (a cloudprint keyword, docs/api.md) of a job its printer did not take within
 * FETCHABLE_DAYS. The keyword is public API and keeps its first spelling.
 */
export const UNFETCHED_REASON = 'job-hold-expired';

/** The job-state-reasons of such a job: IPP's `aborted-by-system` and why. */
export const UNFETCHED_REASONS = ['aborted-by-system', UNFETCHED_REASON] as const;

/** When a job created at `createdAt` stops being fetchable. */
export function fetchableUntil(createdAt: string): Date {
  return new Date(Date.parse(createdAt) + FETCHABLE_DAYS * DAY_MS);
}

/** A job created at or before this instant has waited too long at `now`. */
export function fetchableCutoff(now: Date): string {
  return new Date(now.getTime() - FETCHABLE_DAYS * DAY_MS).toISOString();
}

function epochSecondsAfter(at: Date, days: number): number {
  return Math.floor(at.getTime() / 1000) + days * 24 * 3600;
}

/** Epoch seconds when a job finished at `now` may be deleted by the table's TTL. */
export function finishedExpiresAtEpoch(now: Date): number {
  return epochSecondsAfter(now, FINISHED_JOB_DAYS);
}

/**
 * A job that is not finished yet may be deleted by AWS this long after its creation: FETCHABLE_DAYS plus
 * a last lease (DOCUMENT_RETENTION_DAYS), then as long as a finished job stays. A job nobody reads
 * again (so nobody aborts it at read time) is still cleaned up; one that finishes earlier gets
 * finishedExpiresAtEpoch instead. The job is already aborted at read time long before this.
 */
export const UNFINISHED_JOB_DAYS = DOCUMENT_RETENTION_DAYS + FINISHED_JOB_DAYS;

/** Epoch seconds written with a new (pending) job: its far-off TTL, see UNFINISHED_JOB_DAYS. */
export function pendingExpiresAtEpoch(createdAt: Date): number {
  return epochSecondsAfter(createdAt, UNFINISHED_JOB_DAYS);
}

/** A webhook delivery (the event and its attempts) stays in the delivery log this long (TTL). */
export const WEBHOOK_DELIVERY_DAYS = 30;

/** Epoch seconds when a delivery made at `now` may be deleted by the table's TTL. */
export function deliveryExpiresAtEpoch(now: Date): number {
  return epochSecondsAfter(now, WEBHOOK_DELIVERY_DAYS);
}
