import { describe, expect, it } from 'vitest';
import { parseOptions, UsageRequested } from './printer-options.ts';

describe('parseOptions', () => {
  it('applies the defaults of CONTRACT.md', () => {
    const options = parseOptions(['--server', 'http://127.0.0.1:8787', '--printer-id', 'P1'], {});
    expect(options).toMatchObject({
      printerId: 'P1',
      name: 'P1',
      uiPort: 8631,
      uiHost: '127.0.0.1',
      mode: 'push',
      engine: 'file',
      afterMinutes: 60,
      minuteMs: 60_000,
      toner: 100,
      tonerEstimate: 5,
      heartbeatSeconds: 480,
      safetyListSeconds: 21_600,
    });
    expect(options.stateDir).toMatch(/\.cloudprint\/printer-P1$/);
    expect(options.outDir).toBe(`${options.stateDir}/out`);
  });

  it('reads the test flags and the minute scale from the environment', () => {
    const options = parseOptions(
      [
        '--server',
        'http://x',
        '--printer-id',
        'E5-toner',
        '--mode',
        'poll',
        '--toner',
        '2',
        '--ui-port',
        '0',
        '--safety-list-seconds',
        '600',
      ],
      { CLOUDPRINT_MINUTE_MS: '1500' },
    );
    expect(options).toMatchObject({
      mode: 'poll',
      toner: 2,
      uiPort: 0,
      minuteMs: 1500,
      safetyListSeconds: 600,
    });
  });

  it("reads how often the printer's own state is polled (default 10 s)", () => {
    expect(parseOptions(['--server', 'http://x', '--printer-id', 'P1'], {}).devicePollSeconds).toBe(10);
    const options = parseOptions(
      ['--server', 'http://x', '--printer-id', 'P1', '--device-poll-seconds', '30'],
      {},
    );
    expect(options.devicePollSeconds).toBe(30);
    expect(() =>
      parseOptions(['--server', 'http://x', '--printer-id', 'P1', '--device-poll-seconds', '0'], {}),
    ).toThrow(/device-poll-seconds/);
  });

  it('refuses what cannot work', () => {
    expect(() => parseOptions(['--printer-id', 'P1'], {})).toThrow(/--server/);
    expect(() => parseOptions(['--server', 'http://x', '--printer-id', 'a/b'], {})).toThrow(/--printer-id/);
    expect(() => parseOptions(['--server', 'http://x', '--printer-id', 'P1', '--mode', 'fax'], {})).toThrow(
      /--mode/,
    );
    expect(() =>
      parseOptions(['--server', 'http://x', '--printer-id', 'P1', '--heartbeat-seconds', '600'], {}),
    ).toThrow(/heartbeat/);
    expect(() =>
      parseOptions(['--server', 'http://x', '--printer-id', 'P1', '--safety-list-seconds', '0'], {}),
    ).toThrow(/safety-list-seconds/);
    expect(() => parseOptions(['--help'], {})).toThrow(UsageRequested);
  });
});
