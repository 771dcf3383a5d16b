/**
 * Print data lives at `documents/<printerId>/<jobId>.pdf` and is reached only through its job's
 * `documentKey`: a document without a job (its request's process was killed between storing the PDF and
 * writing the job) can never be printed. This sweep deletes such documents; on AWS the bucket's lifecycle
 * (DOCUMENT_RETENTION_DAYS) removes them too, the local cloud sweeps when it starts.
 */
import type { Clock, DocumentStore, JobStore } from './ports.ts';

const PREFIX = 'documents/';

/** The one layout of print-data keys. */
export function documentKeyOf(printerId: string, jobId: string): string {
  return `${PREFIX}${printerId}/${jobId}.pdf`;
}

function parse(key: string): { printerId: string; jobId: string } | undefined {
  const match = /^documents\/([^/]+)\/([^/]+)\.pdf$/.exec(key);
  return match?.[1] && match[2] ? { printerId: match[1], jobId: match[2] } : undefined;
}

/**
 * Deletes every document older than `minAgeMs` whose job does not exist (a request still storing its job
 * is younger than its 29 s deadline). Returns the keys deleted.
 */
export async function sweepOrphanDocuments(
  ports: { documents: Pick<DocumentStore, 'list' | 'delete'>; jobs: Pick<JobStore, 'get'>; clock: Clock },
  minAgeMs: number,
): Promise<string[]> {
  const cutoff = ports.clock.now().getTime() - minAgeMs;
  const deleted: string[] = [];
  for (const { key, modifiedAt } of await ports.documents.list(PREFIX)) {
    if (modifiedAt.getTime() > cutoff) continue;
    const ids = parse(key);
    if (ids && (await ports.jobs.get(ids.printerId, ids.jobId))) continue;
    await ports.documents.delete(key);
    deleted.push(key);
  }
  return deleted;
}
