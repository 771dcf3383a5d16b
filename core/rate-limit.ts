/**
 * Rate limits per source address (API Gateway's requestContext.http.sourceIp) and route, on the guards
 * table: one fixed window per key, one conditional write per request (GuardStore.take), so a limit holds
 * across Lambda containers. A spent budget answers 429 with Retry-After = the seconds until the window ends.
 */
import { TooManyRequestsError } from './errors.ts';
import type { Ports } from './ports.ts';

export interface RateLimit {
  /** Part of the guard key: `rate#<name>#<source>#<window>`. */
  name: string;
  limit: number;
  windowSeconds: number;
}

export const RATE_LIMITS = {
  /** Unauthenticated: a printer registers once; a site re-registering its fleet behind one NAT still fits. */
  registrations: { name: 'registrations', limit: 30, windowSeconds: 600 },
  /** Every claim, counted before its PIN is compared. */
  claims: { name: 'claims', limit: 30, windowSeconds: 600 },
  /**
   * Claims by PIN alone (no registration id, so no per-registration limit applies): kept well under the global
   * budget (core/registration.ts GLOBAL_PIN_FAILURES) so one source cannot spend it for everyone.
   */
  pinGuesses: { name: 'pin-guesses', limit: 10, windowSeconds: 600 },
} as const satisfies Record<string, RateLimit>;

/**
 * Where a request came from; requests without one share a budget. An IPv6 address counts by its /64: one
 * host is given a whole /64 and could otherwise draw a fresh address per request.
 */
export function sourceOf(sourceIp: string | undefined): string {
  const ip = sourceIp?.trim().toLowerCase() ?? '';
  if (!ip) return 'unknown';
  if (!ip.includes(':') || ip.startsWith('::ffff:')) return ip.replace(/^::ffff:/, '');
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

/** The seconds until the window that holds `nowSeconds` ends (at least 1). */
export function secondsLeftInWindow(nowSeconds: number, windowSeconds: number): number {
  return Math.max(1, (Math.floor(nowSeconds / windowSeconds) + 1) * windowSeconds - nowSeconds);
}

/** Takes one request of `rate` for `source`, or throws 429 with `retryAfter` (seconds). */
export async function takeRate(
  ports: Pick<Ports, 'guards' | 'clock'>,
  rate: RateLimit,
  source: string,
): Promise<void> {
  const now = Math.floor(ports.clock.now().getTime() / 1000);
  const window = Math.floor(now / rate.windowSeconds);
  const windowEnds = (window + 1) * rate.windowSeconds;
  const key = `rate#${rate.name}#${source}#${window}`;
  // Kept one window past its end: the TTL sweep is lazy, and a read never sees an old window's key anyway.
  if (await ports.guards.take(key, rate.limit, windowEnds + rate.windowSeconds)) return;
  const retryAfter = secondsLeftInWindow(now, rate.windowSeconds);
  throw new TooManyRequestsError(
    'rate-limited',
    `Too many requests from this address; retry in ${retryAfter} s`,
    {
      retryAfter,
    },
  );
}
