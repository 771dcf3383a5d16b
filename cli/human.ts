/** How the CLI shows API answers to a person (`--json` prints the answers as they are instead). */
import { reasonWords } from '../core/reason-words.ts';

type Json = Record<string, unknown>;

const str = (value: unknown, fallback = '-') =>
  value === null || value === undefined || value === '' ? fallback : String(value);

/** `1234567` → `1.2 MB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** Columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Whether the printer takes a job now (acceptsNow also counts an offline printer's grace), and why not in words. */
function accepting(printer: Json): string {
  const now = printer.acceptsNow ?? printer.acceptingJobs;
  if (now) return 'accepting';
  const reason = printer.refusalReason ?? printer.acceptingReason;
  return `not accepting: ${typeof reason === 'string' && reason ? reasonWords(reason) : 'no reason given'}`;
}

export function printers(list: Json[]): string {
  if (list.length === 0) return 'No printers yet. Claim one with: cloudprint claim <PIN>';
  return table([
    ['PRINTER', 'NAME', 'JOBS', 'ONLINE', 'STATE', 'LAST SEEN'],
    ...list.map((p) => [
      str(p.printerId),
      str(p.name),
      accepting(p),
      p.online ? 'online' : 'offline',
      [str(p.state), ...((p.reasons as string[] | undefined) ?? [])].join(' '),
      str(p.lastSeenAt),
    ]),
  ]);
}

export function job(j: Json): string {
  const reasons = (j.reasons as string[] | undefined) ?? [];
  const options = (j.options as Json | undefined) ?? {};
  return [
    `Job ${str(j.jobId)} on ${str(j.printerId)}: ${str(j.state)}${reasons.length ? ` (${reasons.join(', ')})` : ''}`,
    `  title     ${str(j.title)}`,
    `  pages     ${str(j.pages)} × ${str(j.copies)} copies, ${str(options.media)}, ${str(options.fit)}, ${str(options.color)}`,
    `  from      ${str(j.sourceFormat)} (${typeof j.size === 'number' ? bytes(j.size) : '-'})`,
    `  created   ${str(j.createdAt)}`,
    `  updated   ${str(j.updatedAt)}`,
  ].join('\n');
}

export function jobs(list: Json[]): string {
  if (list.length === 0) return 'No jobs.';
  return table([
    ['JOB', 'STATE', 'PAGES', 'CREATED', 'TITLE'],
    ...[...list]
      .reverse()
      .map((j) => [str(j.jobId), str(j.state), str(j.pages), str(j.createdAt), str(j.title)]),
  ]);
}

export function shareKeys(list: Json[]): string {
  if (list.length === 0) return 'No share keys.';
  return table([
    ['KEY ID', 'CREATED', 'LABEL'],
    ...list.map((k) => [str(k.keyId), str(k.createdAt), str(k.label, '')]),
  ]);
}

export function webhooks(list: Json[]): string {
  if (list.length === 0) return 'No webhooks. Add one with: cloudprint webhook-add <https URL>';
  return table([
    ['WEBHOOK', 'URL', 'EVENTS', 'DESCRIPTION'],
    ...list.map((w) => [
      str(w.webhookId),
      str(w.url),
      ((w.events as string[]) ?? []).join(','),
      str(w.description, ''),
    ]),
  ]);
}

export function deliveries(list: Json[]): string {
  if (list.length === 0) return 'No deliveries yet.';
  return table([
    ['DELIVERY', 'EVENT', 'STATUS', 'ATTEMPTS', 'CREATED'],
    ...list.map((d) => {
      const attempts = ((d.attempts as Json[]) ?? []).map((a) => str(a.status ?? a.error));
      return [str(d.deliveryId), str(d.type), str(d.status), attempts.join(' → ') || '-', str(d.createdAt)];
    }),
  ]);
}

/** An error answer: `cloudprint: <message> [<code>]`, with the refusal reason for a 503. */
export function error(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as Json;
    if (b.error === 'not-accepting-jobs') {
      const why = typeof b.reason === 'string' && b.reason ? reasonWords(b.reason) : 'no reason given';
      return `Printer ${str(b.printerId)} is not accepting jobs: ${why}. Nothing was sent [not-accepting-jobs].`;
    }
    return `${str(b.message, `HTTP ${status}`)} [${str(b.error, String(status))}]`;
  }
  return `HTTP ${status}: ${str(body, '')}`;
}
