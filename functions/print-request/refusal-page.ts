/** Screen SC3: what a person in a browser sees when the printer is not accepting jobs. */
import type { NotAcceptingJobsError } from '../../core/errors.ts';
import { reasonWords } from '../../core/reason-words.ts';
import { escapeHtml } from '../http.ts';

export function refusalPage(error: NotAcceptingJobsError): string {
  const printerId = String(error.details.printerId ?? '');
  const reason = String(error.details.reason ?? '');
  const words = reasonWords(reason);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Printer ${escapeHtml(printerId)} is not accepting print jobs</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
.box{border:2px solid #b00020;border-radius:.5rem;padding:1rem 1.25rem}h1{font-size:1.4rem;margin-top:0}</style>
</head>
<body>
<main class="box" role="alert">
<h1>Printer ${escapeHtml(printerId)} is not accepting print jobs</h1>
<p>Your document was not sent: ${escapeHtml(words)}.</p>
<p>${escapeHtml(error.message)}</p>
<p>Nothing was stored. Please try again later.</p>
<p><small>Reason code: <code>${escapeHtml(reason)}</code></small></p>
</main>
</body>
</html>
`;
}
