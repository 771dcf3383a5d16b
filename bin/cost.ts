/**
 * `npm run cost [-- --inputs file.json]`: what the cloud costs, from AWS list prices and per-event
 * usage counts, per idle push printer-month, per polling printer-month, per printed job and per
 * refused request, plus what a deployment costs with no printer at all. Every input is in INPUTS,
 * with where it comes from; a JSON file of the same shape overrides any of them (e.g. durations the
 * benchmark measured). No free tier is counted: it is account-wide and ends.
 */
import { readFileSync } from 'node:fs';
import { HANDLERS, type HandlerName, UNTRACED_HANDLERS } from '../functions/routes.ts';

/** US East (N. Virginia) list prices in USD, first tier, as published on the AWS pricing pages. */
export const PRICES = {
  httpApiPerMillionRequests: 1.0, // billed per 512 KB of request+response
  webSocketPerMillionMessages: 1.0, // billed per 32 KB
  webSocketPerMillionConnectionMinutes: 0.25,
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecond: { arm64: 0.0000133334, x86_64: 0.0000166667 },
  dynamoPerMillionWriteUnits: 0.625, // on-demand
  dynamoPerMillionReadUnits: 0.125,
  s3PerThousandPuts: 0.005,
  s3PerThousandGets: 0.0004,
  xrayPerMillionTraces: 5.0,
  logsPerGbIngested: 0.5,
  secretPerMonth: 0.4,
  secretsPerTenThousandCalls: 0.05,
  alarmPerMonth: 0.1,
} as const;

/** What one event uses. Lambda time is billed per ms at the function's memory. */
export interface Usage {
  httpUnits?: number;
  webSocketMessages?: number;
  lambda?: { fn: HandlerName; ms: number }[];
  readUnits?: number;
  writeUnits?: number;
  s3Puts?: number;
  s3Gets?: number;
  traces?: number;
}

export const INPUTS = {
  architecture: 'arm64' as 'arm64' | 'x86_64',
  /** printer-client's defaults (printer-options.ts): a heartbeat every 480 s, a safety listing every 6 h. */
  heartbeatSeconds: 480,
  safetyListSeconds: 21_600,
  /** core/settings.ts DEFAULT_SETTINGS.pollIntervalSeconds. */
  pollIntervalSeconds: 30,
  /** A photo sent as a direct body. */
  documentBytes: 2 * 1024 * 1024,
  /** Log bytes per invocation (START/END/REPORT lines plus the handler's JSON lines): estimate. */
  logBytesPerInvocation: 1000,
  /**
   * Fraction of a traced function's requests X-Ray records: Lambda's default rule traces 1/s + 5%, so all at
   * this rate. connect and jobs are not traced (functions/routes.ts UNTRACED_HANDLERS).
   */
  tracedFraction: 1,
  /** Billed durations (ms): estimates from the handlers' work, not yet measured on Lambda. */
  ms: { small: 40, conversion: 1500, refusal: 60 },
  /** Alarms in the template: errors + throttles per function, HTTP 5xx, WebSocket errors. */
  alarms: (Object.keys(HANDLERS).length + 1) * 2 + 2,
};

export type Inputs = typeof INPUTS;

const MONTH_SECONDS = 30 * 24 * 3600;
const HTTP_UNIT = 512 * 1024;

export function costOfUsage(usage: Usage, inputs: Inputs): number {
  const lambdas = usage.lambda ?? [];
  const gbSeconds = lambdas.reduce((sum, l) => sum + (HANDLERS[l.fn].memoryMb / 1024) * (l.ms / 1000), 0);
  const invocations = lambdas.length;
  const traced = lambdas.filter((l) => !UNTRACED_HANDLERS.has(l.fn)).length;
  return (
    ((usage.httpUnits ?? 0) * PRICES.httpApiPerMillionRequests) / 1e6 +
    ((usage.webSocketMessages ?? 0) * PRICES.webSocketPerMillionMessages) / 1e6 +
    (invocations * PRICES.lambdaPerMillionRequests) / 1e6 +
    gbSeconds * PRICES.lambdaPerGbSecond[inputs.architecture] +
    ((usage.readUnits ?? 0) * PRICES.dynamoPerMillionReadUnits) / 1e6 +
    ((usage.writeUnits ?? 0) * PRICES.dynamoPerMillionWriteUnits) / 1e6 +
    ((usage.s3Puts ?? 0) * PRICES.s3PerThousandPuts) / 1e3 +
    ((usage.s3Gets ?? 0) * PRICES.s3PerThousandGets) / 1e3 +
    ((usage.traces ?? traced * inputs.tracedFraction) * PRICES.xrayPerMillionTraces) / 1e6 +
    ((invocations * inputs.logBytesPerInvocation) / 1e9) * PRICES.logsPerGbIngested
  );
}

/** What each event does, read from the handlers (core/connection.ts, core/jobs.ts, core/print-request.ts). */
export type EventName = 'heartbeat' | 'listing' | 'printRequest' | 'fetch' | 'stateUpdate' | 'refusal';

export function events(inputs: Inputs): Record<EventName, Usage> {
  const small = inputs.ms.small;
  const bodyUnits = Math.max(1, Math.ceil(inputs.documentBytes / HTTP_UNIT));
  const jobCall = (extra: Usage = {}): Usage => ({
    httpUnits: 1,
    lambda: [{ fn: 'jobs', ms: small }],
    readUnits: 1,
    ...extra,
  });
  return {
    /**
     * A mock route (functions/routes.ts WS_MOCK_ROUTES): the message in is billed like any other, and
     * nothing else happens (no Lambda, no database, no acknowledgement sent back).
     */
    heartbeat: { webSocketMessages: 1 },
    /** GET jobs: a query of the open-jobs index (and the printer's record). */
    listing: jobCall({ readUnits: 2 }),
    printRequest: {
      httpUnits: bodyUnits,
      lambda: [{ fn: 'print-request', ms: inputs.ms.conversion }],
      readUnits: 1,
      writeUnits: 2,
      s3Puts: 1,
      webSocketMessages: 1, // the push hint to the printer
    },
    fetch: jobCall({ writeUnits: 1, s3Gets: 1 }),
    stateUpdate: jobCall({ writeUnits: 1 }),
    refusal: { httpUnits: bodyUnits, lambda: [{ fn: 'print-request', ms: inputs.ms.refusal }], readUnits: 1 },
  };
}

export interface CostReport {
  idlePushPrinterMonth: number;
  pollingPrinterMonth: number;
  printedJob: number;
  refusedRequest: number;
  deploymentMonth: number;
}

export function costModel(inputs: Inputs): CostReport {
  const e = events(inputs);
  const c = (usage: Usage) => costOfUsage(usage, inputs);
  const connectionMinutes = MONTH_SECONDS / 60;
  return {
    idlePushPrinterMonth:
      (MONTH_SECONDS / inputs.heartbeatSeconds) * c(e.heartbeat) +
      (MONTH_SECONDS / inputs.safetyListSeconds) * c(e.listing) +
      (connectionMinutes * PRICES.webSocketPerMillionConnectionMinutes) / 1e6,
    pollingPrinterMonth: (MONTH_SECONDS / inputs.pollIntervalSeconds) * c(e.listing),
    // submitted, listed, fetched, then processing and completed
    printedJob: c(e.printRequest) + c(e.listing) + c(e.fetch) + 2 * c(e.stateUpdate),
    refusedRequest: c(e.refusal),
    deploymentMonth: PRICES.secretPerMonth + inputs.alarms * PRICES.alarmPerMonth,
  };
}

function readInputs(args: string[]): Inputs {
  const at = args.indexOf('--inputs');
  if (at < 0) return INPUTS;
  const file = args[at + 1];
  if (!file) throw new Error('--inputs needs a JSON file');
  const overrides = JSON.parse(readFileSync(file, 'utf8')) as Partial<Inputs>;
  return { ...INPUTS, ...overrides, ms: { ...INPUTS.ms, ...overrides.ms } };
}

if (import.meta.main) {
  const inputs = readInputs(process.argv.slice(2));
  const report = costModel(inputs);
  const usd = (n: number) => `$${n < 0.01 ? n.toFixed(6) : n.toFixed(4)}`;
  console.log(`| what | USD (${inputs.architecture}, list prices, no free tier) |`);
  console.log('| --- | ---: |');
  console.log(
    `| idle push printer-month (heartbeat + listing every ${inputs.heartbeatSeconds}/${inputs.safetyListSeconds} s) | ${usd(report.idlePushPrinterMonth)} |`,
  );
  console.log(
    `| polling printer-month (every ${inputs.pollIntervalSeconds} s) | ${usd(report.pollingPrinterMonth)} |`,
  );
  console.log(
    `| printed job (${(inputs.documentBytes / 2 ** 20).toFixed(1)} MB direct body) | ${usd(report.printedJob)} |`,
  );
  console.log(`| refused request (same body) | ${usd(report.refusedRequest)} |`);
  console.log(
    `| the deployment itself per month (owner-key secret, ${inputs.alarms} alarms) | ${usd(report.deploymentMonth)} |`,
  );
  console.log(`\ninputs: ${JSON.stringify(inputs)}`);
}
