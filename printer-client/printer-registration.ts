/**
 * Registration (patent figure 2, T10–T62; RFC 8628-like): ask the cloud for a PIN, show it, poll
 * until the owner has claimed the printer, and hand back the access token. An expired
 * registration starts over; `slow_down` widens the interval.
 */
import { Backoff } from './backoff.ts';
import { type Clock, sleep } from './clock.ts';
import type { CloudApi, RegistrationStart } from './cloud-api.ts';

export interface ShownRegistration {
  pin: string;
  claimUrl: string;
  expiresAt: string;
}

export interface RegistrationOptions {
  cloud: CloudApi;
  clock: Clock;
  printerId: string;
  name: string;
  capabilities: Record<string, unknown>;
  /** Called with the PIN to show, and with null once it is no longer valid. */
  show: (registration: ShownRegistration | null) => void;
  log: (line: string) => void;
  backoff?: Backoff;
}

/** RFC 8628 §3.5: on slow_down the interval grows by 5 seconds. */
const SLOW_DOWN_SECONDS = 5;

/** Runs until the printer holds a token (resolves with it) or `signal` aborts (rejects). */
export async function register(options: RegistrationOptions, signal: AbortSignal): Promise<string> {
  const { cloud, clock } = options;
  const backoff = options.backoff ?? new Backoff({ baseMs: 2_000, maxMs: 60_000 });
  for (;;) {
    let start: RegistrationStart;
    try {
      start = await cloud.register({
        printerId: options.printerId,
        name: options.name,
        capabilities: options.capabilities,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      const delay = backoff.next();
      options.log(
        `registration failed (${error instanceof Error ? error.message : error}); again in ${delay} ms`,
      );
      await sleep(clock, delay, signal);
      continue;
    }
    backoff.reset();
    options.show({ pin: start.pin, claimUrl: start.claimUrl, expiresAt: start.expiresAt });
    let interval = Math.max(1, start.interval || 5);
    for (;;) {
      await sleep(clock, interval * 1000, signal);
      let answer: Awaited<ReturnType<CloudApi['pollRegistration']>>;
      try {
        answer = await cloud.pollRegistration(start.registrationId, start.pollToken);
      } catch (error) {
        if (signal.aborted) throw error;
        options.log(`registration poll failed: ${error instanceof Error ? error.message : error}`);
        continue;
      }
      if (answer.status === 'complete') {
        options.show(null);
        return answer.accessToken;
      }
      if (answer.status === 'slow_down')
        interval = Math.max(interval + SLOW_DOWN_SECONDS, answer.interval ?? 0);
      if (answer.status === 'expired') {
        options.log('the PIN expired: asking for a new one');
        options.show(null);
        break;
      }
    }
  }
}
