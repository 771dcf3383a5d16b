/** A cloud job as IPP sees it (RFC 8011 §5.3): job states are already IPP's (core/job-state.ts). */
import type { JobRecord } from '../job.ts';
import { JobState } from '../job-state.ts';
import { attr, type IppAttribute, ipp } from './codec.ts';

export const JOB_STATE_ENUM: Record<JobState, number> = {
  pending: 3,
  'pending-held': 4,
  processing: 5,
  'processing-stopped': 6,
  canceled: 7,
  aborted: 8,
  completed: 9,
};

const DEFAULT_REASON: Record<JobState, string> = {
  pending: 'none',
  'pending-held': 'job-hold-until-specified',
  processing: 'job-printing',
  'processing-stopped': 'printer-stopped',
  canceled: 'job-canceled-by-user',
  aborted: 'aborted-by-system',
  completed: 'job-completed-successfully',
};

const FINISHED = new Set<JobState>([JobState.completed, JobState.canceled, JobState.aborted]);

export function jobUri(printerUri: string, ippJobId: number): string {
  return `${printerUri}/jobs/${ippJobId}`;
}

const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Every job attribute the door reports, for a job that came in over IPP (`ippJobId` set). */
export function jobAttributes(
  job: JobRecord & { ippJobId: number },
  ctx: { printerUri: string; now: Date },
): IppAttribute[] {
  const reasons = job.reasons?.length ? job.reasons : [DEFAULT_REASON[job.state]];
  const finished = FINISHED.has(job.state);
  const started = job.state !== JobState.pending && job.state !== JobState.pendingHeld;
  return [
    attr('job-id', ipp.integer(job.ippJobId)),
    attr('job-uri', ipp.uri(jobUri(ctx.printerUri, job.ippJobId))),
    attr('job-printer-uri', ipp.uri(ctx.printerUri)),
    attr('job-name', ipp.name(job.title.slice(0, 255))),
    attr('job-originating-user-name', ipp.name((job.requestingUserName ?? 'anonymous').slice(0, 255))),
    attr('job-state', ipp.enum(JOB_STATE_ENUM[job.state])),
    attr('job-state-reasons', ...reasons.map(ipp.keyword)),
    attr('time-at-creation', ipp.integer(epoch(job.createdAt))),
    // The cloud records when a job last changed, not when it started printing.
    attr('time-at-processing', started ? ipp.integer(epoch(job.updatedAt)) : ipp.noValue()),
    attr('time-at-completed', finished ? ipp.integer(epoch(job.updatedAt)) : ipp.noValue()),
    attr('job-printer-up-time', ipp.integer(Math.floor(ctx.now.getTime() / 1000))),
    attr('date-time-at-creation', ipp.dateTime(new Date(job.createdAt))),
    attr('number-of-documents', ipp.integer(1)),
    attr('job-k-octets', ipp.integer(Math.ceil(job.size / 1024))),
    attr('job-impressions-completed', ipp.integer(job.impressions ?? 0)),
    attr('copies', ipp.integer(job.copies)),
    attr('media', ipp.keyword(job.options.media)),
    attr('print-color-mode', ipp.keyword(job.options.color)),
    attr('print-scaling', ipp.keyword(job.options.fit)),
    attr('document-format', ipp.mimeMediaType(job.sourceFormat)),
  ];
}

/** A Create-Job waiting for its Send-Document: not yet a cloud job. */
export interface IncomingJob {
  ippJobId: number;
  title: string;
  requestingUserName: string;
  submittedBy: string;
  createdAt: string;
  options: JobRecord['options'];
}

export function incomingJobAttributes(
  job: IncomingJob,
  ctx: { printerUri: string; now: Date },
): IppAttribute[] {
  return [
    attr('job-id', ipp.integer(job.ippJobId)),
    attr('job-uri', ipp.uri(jobUri(ctx.printerUri, job.ippJobId))),
    attr('job-printer-uri', ipp.uri(ctx.printerUri)),
    attr('job-name', ipp.name(job.title.slice(0, 255))),
    attr('job-originating-user-name', ipp.name(job.requestingUserName.slice(0, 255))),
    attr('job-state', ipp.enum(JOB_STATE_ENUM.pending)),
    attr('job-state-reasons', ipp.keyword('job-incoming')),
    attr('time-at-creation', ipp.integer(epoch(job.createdAt))),
    attr('time-at-processing', ipp.noValue()),
    attr('time-at-completed', ipp.noValue()),
    attr('job-printer-up-time', ipp.integer(Math.floor(ctx.now.getTime() / 1000))),
    attr('number-of-documents', ipp.integer(0)),
    attr('copies', ipp.integer(job.options.copies)),
    attr('media', ipp.keyword(job.options.media)),
  ];
}
