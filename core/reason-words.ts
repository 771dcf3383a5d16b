/**
 * Plain words for the reason keywords people meet: why a printer is not accepting jobs (the patent's
 * reasons: paused, offline, toner, paper, memory, an error) and its IPP printer-state-reasons. One home,
 * read by the 503 page (functions/print-request/refusal-page.ts) and served to the web app (/app/reasons.json).
 */
export const REASON_WORDS: Readonly<Record<string, string>> = {
  paused: 'the printer has paused accepting jobs',
  offline: 'the printer has been offline for too long',
  'toner-empty': 'the printer is out of toner',
  'toner-low': 'the printer is low on toner',
  'marker-supply-empty': 'the printer is out of ink or toner',
  'marker-supply-low': 'the printer is low on ink or toner',
  'media-empty': 'the printer is out of paper',
  'media-needed': 'the printer needs paper',
  'media-low': 'the printer is low on paper',
  'media-jam': 'paper is jammed in the printer',
  'spool-area-full': 'the printer has no room for more jobs',
  'cover-open': 'a cover of the printer is open',
  'door-open': 'a door of the printer is open',
  'service-off': 'the printer service has been turned off',
  'other-error': 'the printer reports an error',
  'moving-to-paused': 'the printer is pausing',
  'connecting-to-device': 'the printer is connecting',
  none: 'nothing to report',
};

/** The words for `reason`, or a sentence quoting an unknown keyword. */
export function reasonWords(reason: string): string {
  return REASON_WORDS[reason] ?? `the printer reports "${reason}"`;
}
