import { describe, expect, it } from 'vitest';
import { HANDLERS, WS_MOCK_ROUTES } from '../functions/routes.ts';
import { costModel, costOfUsage, events, INPUTS, PRICES } from './cost.ts';

const quiet = { ...INPUTS, tracedFraction: 0, logBytesPerInvocation: 0 };

describe('costOfUsage', () => {
  it('prices each unit at its list price', () => {
    // Act
    const http = costOfUsage({ httpUnits: 2e6 }, quiet);
    const reads = costOfUsage({ readUnits: 4e6, writeUnits: 1e6 }, quiet);
    const oneSecond = costOfUsage({ lambda: [{ fn: 'print-request', ms: 1000 }] }, quiet);
    // Assess
    expect(http).toBeCloseTo(2 * PRICES.httpApiPerMillionRequests, 10);
    expect(reads).toBeCloseTo(4 * PRICES.dynamoPerMillionReadUnits + PRICES.dynamoPerMillionWriteUnits, 10);
    expect(oneSecond).toBeCloseTo(
      (HANDLERS['print-request'].memoryMb / 1024) * PRICES.lambdaPerGbSecond.arm64 +
        PRICES.lambdaPerMillionRequests / 1e6,
      12,
    );
  });

  it('bills Lambda time on x86_64 at its higher rate', () => {
    const usage = { lambda: [{ fn: 'print-request' as const, ms: 1000 }] };
    const arm = costOfUsage(usage, quiet) - PRICES.lambdaPerMillionRequests / 1e6;
    const x86 =
      costOfUsage(usage, { ...quiet, architecture: 'x86_64' }) - PRICES.lambdaPerMillionRequests / 1e6;
    expect(x86 / arm).toBeCloseTo(PRICES.lambdaPerGbSecond.x86_64 / PRICES.lambdaPerGbSecond.arm64, 6);
  });
});

describe('tracing', () => {
  it('bills a trace per traced invocation, none for the printers’ steady traffic (connect, jobs)', () => {
    // Prepare
    const traced = { ...quiet, tracedFraction: 1 };
    // Act
    const heartbeat = costOfUsage({ lambda: [{ fn: 'connect', ms: 40 }] }, traced);
    const listing = costOfUsage({ lambda: [{ fn: 'jobs', ms: 40 }] }, traced);
    const request = costOfUsage({ lambda: [{ fn: 'terminal', ms: 40 }] }, traced);
    // Assess
    expect(heartbeat).toBeCloseTo(costOfUsage({ lambda: [{ fn: 'connect', ms: 40 }] }, quiet), 12);
    expect(listing).toBeCloseTo(heartbeat, 12);
    expect(request - listing).toBeCloseTo(PRICES.xrayPerMillionTraces / 1e6, 12);
  });
});

describe('costModel', () => {
  it('scales a printer-month with its intervals and a request with its body', () => {
    // Prepare
    // every interval doubled: each per-message part of the month halves
    const base = costModel({
      ...INPUTS,
      heartbeatSeconds: 600,
      safetyListSeconds: 600,
      pollIntervalSeconds: 10,
    });
    const slower = costModel({
      ...INPUTS,
      heartbeatSeconds: 1200,
      safetyListSeconds: 1200,
      pollIntervalSeconds: 20,
    });
    const connectionMinutes = (30 * 24 * 60 * PRICES.webSocketPerMillionConnectionMinutes) / 1e6;
    const small = costModel({ ...INPUTS, documentBytes: 100 * 1024 });
    // Assess
    expect(slower.idlePushPrinterMonth - connectionMinutes).toBeCloseTo(
      (base.idlePushPrinterMonth - connectionMinutes) / 2,
      10,
    );
    expect(slower.pollingPrinterMonth).toBeCloseTo(base.pollingPrinterMonth / 2, 10);
    expect(events(INPUTS).refusal.httpUnits).toBe(Math.ceil(INPUTS.documentBytes / (512 * 1024)));
    expect(small.refusedRequest).toBeLessThan(base.refusedRequest);
    expect(base.refusedRequest).toBeLessThan(base.printedJob);
  });
});

describe('an idle push printer', () => {
  it('costs at most $0.02 a month at the defaults: the heartbeat is one billed message, nothing more', () => {
    // Prepare: the heartbeat is answered at API Gateway (infra/websocket-api.ts, local/ws-gateway.ts)
    expect(WS_MOCK_ROUTES.has('heartbeat')).toBe(true);
    const month = 30 * 24 * 3600;
    // Act
    const report = costModel(INPUTS);
    const heartbeat = events(INPUTS).heartbeat;
    // Assess: no Lambda, no database, no acknowledgement back; the message in is still billed
    expect(heartbeat).toEqual({ webSocketMessages: 1 });
    const messages = ((month / INPUTS.heartbeatSeconds) * PRICES.webSocketPerMillionMessages) / 1e6;
    const minutes = ((month / 60) * PRICES.webSocketPerMillionConnectionMinutes) / 1e6;
    const listings = (month / INPUTS.safetyListSeconds) * costOfUsage(events(INPUTS).listing, INPUTS);
    expect(report.idlePushPrinterMonth).toBeCloseTo(messages + minutes + listings, 10);
    expect(report.idlePushPrinterMonth).toBeLessThanOrEqual(0.02);
  });
});
