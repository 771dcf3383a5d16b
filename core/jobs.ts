/** Jobs after they exist: the printer lists, fetches (leases) and reports; terminals view and cancel. */
import { maySeeJob, type Principal, requirePrinter, requireTerminal } from './auth.ts';
import { ConditionFailedError, ConflictError, NotFoundError } from './errors.ts';
import { fetchableView, type JobRecord, type JobView, jobView } from './job.ts';
import {
  canTransition,
  isFetchable,
  isFinished,
  isHoldExpired,
  isLeasedState,
  JobState,
} from './job-state.ts';
import type { Ports } from './ports.ts';
import {
  finishedExpiresAtEpoch,
  HELD_JOB_DAYS,
  HOLD_EXPIRED_REASON,
  HOLD_EXPIRED_REASONS,
  holdCutoff,
} from './retention.ts';
import type { JobStateBody } from './schemas.ts';
import { emitEvent, jobEventType } from './webhooks.ts';

type JobPorts = Pick<Ports, 'printers' | 'jobs' | 'documents' | 'clock' | 'settings' | 'webhooks'>;

/**
 * WEBHOOK EVENT at the end of a job (job.completed / job.aborted / job.canceled). Called right after
 * each write that finishes a job; belongs in finishJob once job finishing has one home.
 */
async function jobFinishedEvent(ports: JobPorts, job: JobRecord): Promise<void> {
  const type = jobEventType(job.state);
  if (type) await emitEvent(ports, type, { job: jobView(job) });
}

export async function listFetchable(ports: JobPorts, principal: Principal, printerId: string) {
  requirePrinter(principal, printerId);
  const now = ports.clock.now();
  const open = await ports.jobs.listOpen(printerId);
  // Listing is the poller's heartbeat: it keeps lastSeenAt fresh (and the offline grace away).
  await ports.printers.seen(printerId, now.toISOString(), true);
  const current = await Promise.all(open.map((job) => expireIfHeldTooLong(ports, job, now)));
  return current.filter((job) => isFetchable(job, now) && !isHoldExpired(job, now)).map(fetchableView);
}

/**
 * A job its printer could take but did not within the hold is aborted (`aborted-by-system`,
 * `job-hold-expired`) by one conditional write, so nobody is offered print data that S3 expires.
 * Returns the job as it is now (if another request moved it meanwhile, as that one left it).
 */
async function expireIfHeldTooLong(ports: JobPorts, job: JobRecord, now: Date): Promise<JobRecord> {
  if (!isHoldExpired(job, now)) return job;
  try {
    const aborted = await ports.jobs.expire(job.printerId, job.jobId, {
      at: now.toISOString(),
      createdBefore: holdCutoff(now),
      reasons: [...HOLD_EXPIRED_REASONS],
      expiresAtEpoch: finishedExpiresAtEpoch(now),
    });
    await ports.documents.delete(job.documentKey).catch(() => undefined);
    await jobFinishedEvent(ports, aborted); // WEBHOOK EVENT: move into finishJob
    return aborted;
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    return (await ports.jobs.get(job.printerId, job.jobId)) ?? job;
  }
}

function isHoldExpiredAbort(job: JobRecord): boolean {
  return job.state === JobState.aborted && (job.reasons ?? []).includes(HOLD_EXPIRED_REASON);
}

export async function listForTerminal(
  ports: JobPorts,
  principal: Principal,
  printerId: string,
): Promise<JobView[]> {
  requireTerminal(principal, printerId);
  if (!(await ports.printers.get(printerId))) throw new NotFoundError('printer');
  const now = ports.clock.now();
  const all = await ports.jobs.list(printerId);
  const mine = all.filter((job) => maySeeJob(principal, job));
  return (await Promise.all(mine.map((job) => expireIfHeldTooLong(ports, job, now)))).map(jobView);
}

async function visibleJob(
  ports: JobPorts,
  principal: Principal,
  printerId: string,
  jobId: string,
): Promise<JobRecord> {
  if (principal.kind === 'access') requirePrinter(principal, printerId);
  else requireTerminal(principal, printerId);
  const job = await ports.jobs.get(printerId, jobId);
  if (!job || (principal.kind !== 'access' && !maySeeJob(principal, job))) throw new NotFoundError('job');
  return expireIfHeldTooLong(ports, job, ports.clock.now());
}

export function getJob(
  ports: JobPorts,
  principal: Principal,
  printerId: string,
  jobId: string,
): Promise<JobView> {
  return visibleJob(ports, principal, printerId, jobId).then(jobView);
}

export interface Fetched {
  job: JobView;
  documentUrl: string;
  format: string;
  leaseExpiresAt: string;
}

/** IPP Fetch-Job + Acknowledge-Job: one conditional write leases the job; the URL lives as long as the lease. */
export async function fetchJob(
  ports: JobPorts,
  principal: Principal,
  printerId: string,
  jobId: string,
): Promise<Fetched> {
  requirePrinter(principal, printerId);
  const now = ports.clock.now();
  const leaseExpiresAt = new Date(now.getTime() + ports.settings.leaseSeconds * 1000);
  let job: JobRecord;
  try {
    job = await ports.jobs.lease(printerId, jobId, {
      at: now.toISOString(),
      leaseExpiresAt: leaseExpiresAt.toISOString(),
      createdAfter: holdCutoff(now),
    });
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    const found = await ports.jobs.get(printerId, jobId);
    if (!found) throw new NotFoundError('job');
    const current = await expireIfHeldTooLong(ports, found, now);
    if (isHoldExpiredAbort(current)) {
      throw new ConflictError(
        `Job ${jobId} waited more than ${HELD_JOB_DAYS} days for its printer and was aborted (${HOLD_EXPIRED_REASON}); its print data is gone`,
        { state: current.state, reasons: current.reasons },
      );
    }
    if (isFinished(current.state))
      throw new ConflictError(`Job ${jobId} is ${current.state}`, { state: current.state });
    throw new ConflictError(`Job ${jobId} is already taken until ${current.leaseExpiresAt}`, {
      state: current.state,
      leaseExpiresAt: current.leaseExpiresAt ?? null,
    });
  }
  const documentUrl = await ports.documents.downloadUrl(job.documentKey, leaseExpiresAt);
  return { job: jobView(job), documentUrl, format: job.format, leaseExpiresAt: leaseExpiresAt.toISOString() };
}

function finishedFields(now: Date) {
  return { leaseExpiresAt: null, expiresAtEpoch: finishedExpiresAtEpoch(now) };
}

/** The printer reports progress. processing / processing-stopped renew the lease. */
export async function updateJobState(
  ports: JobPorts,
  principal: Principal,
  printerId: string,
  jobId: string,
  body: JobStateBody,
): Promise<JobView> {
  requirePrinter(principal, printerId);
  const now = ports.clock.now();
  const job = await ports.jobs.get(printerId, jobId);
  if (!job) throw new NotFoundError('job');
  // Only a job the printer holds can move; a pending one must be fetched first.
  if (!isLeasedState(job.state) || !canTransition(job.state, body.state)) {
    throw new ConflictError(`Job ${jobId} cannot go from ${job.state} to ${body.state}`, {
      state: job.state,
    });
  }
  const finished = isFinished(body.state);
  const lease = finished
    ? finishedFields(now)
    : { leaseExpiresAt: new Date(now.getTime() + ports.settings.leaseSeconds * 1000).toISOString() };
  const updated = await moveJob(ports, job, {
    state: body.state,
    at: now.toISOString(),
    reasons: body.reasons,
    impressions: body.impressions,
    ...lease,
  });
  if (finished) {
    await ports.documents.delete(job.documentKey).catch(() => undefined);
    await jobFinishedEvent(ports, updated); // WEBHOOK EVENT: move into finishJob
  }
  return jobView(updated);
}

/** A terminal cancels its job (IPP Cancel-Job). A finished job answers 409. */
export async function cancelJob(
  ports: JobPorts,
  principal: Principal,
  printerId: string,
  jobId: string,
): Promise<JobView> {
  if (principal.kind === 'access') throw new NotFoundError('job');
  const job = await visibleJob(ports, principal, printerId, jobId);
  if (!canTransition(job.state, JobState.canceled)) {
    throw new ConflictError(`Job ${jobId} is ${job.state} and cannot be canceled`, { state: job.state });
  }
  const now = ports.clock.now();
  const updated = await moveJob(ports, job, {
    state: JobState.canceled,
    at: now.toISOString(),
    reasons: ['job-canceled-by-user'],
    ...finishedFields(now),
  });
  await ports.documents.delete(job.documentKey).catch(() => undefined);
  await jobFinishedEvent(ports, updated); // WEBHOOK EVENT: move into finishJob
  return jobView(updated);
}

async function moveJob(
  ports: JobPorts,
  job: JobRecord,
  patch: Parameters<JobPorts['jobs']['transition']>[3],
) {
  try {
    return await ports.jobs.transition(job.printerId, job.jobId, job.state, patch);
  } catch (error) {
    if (error instanceof ConditionFailedError) {
      throw new ConflictError(`Job ${job.jobId} changed meanwhile; read it again`);
    }
    throw error;
  }
}
