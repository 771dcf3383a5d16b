/** Tunables read from the environment (core/config.ts), with the contract's defaults. */
import { ENV, numberEnv } from './config.ts';
import type { Settings } from './ports.ts';

export const DEFAULT_SETTINGS: Settings = {
  /** A polling printer's listing is its whole cost: every 30 s, not every 5 (see README, What it costs). */
  pollIntervalSeconds: 30,
  leaseSeconds: 300,
  registrationTtlSeconds: 900,
  maxDocumentBytes: 20 * 1024 * 1024,
  /** Larger uploads may take longer to convert than API Gateway's 29 s. */
  asyncConversionBytes: 20 * 1024 * 1024,
};

export function settingsFromEnv(): Settings {
  return {
    pollIntervalSeconds: numberEnv(ENV.pollIntervalSeconds, DEFAULT_SETTINGS.pollIntervalSeconds),
    leaseSeconds: numberEnv(ENV.leaseSeconds, DEFAULT_SETTINGS.leaseSeconds),
    registrationTtlSeconds: numberEnv(ENV.registrationTtlSeconds, DEFAULT_SETTINGS.registrationTtlSeconds),
    maxDocumentBytes: numberEnv(ENV.maxDocumentBytes, DEFAULT_SETTINGS.maxDocumentBytes),
    asyncConversionBytes: numberEnv(ENV.asyncConversionBytes, DEFAULT_SETTINGS.asyncConversionBytes),
  };
}
