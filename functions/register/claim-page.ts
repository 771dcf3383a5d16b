/**
 * The claim page (RFC 8628's verification URI): the owner signs in with the owner key and types the
 * PIN the printer shows. Plain HTML with labels and a live result region; a small inline script posts
 * to /v1/claims so the owner key never appears in a URL.
 */
import { escapeHtml } from '../http.ts';

export function claimPage(input: { registrationId?: string | undefined; claimsPath: string }): string {
  const registration = input.registrationId
    ? `<input type="hidden" name="registrationId" value="${escapeHtml(input.registrationId)}">`
    : '';
  const intro = input.registrationId
    ? 'A printer is waiting to be added to your cloud print service.'
    : 'Add a printer to your cloud print service.';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Add a printer</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
label{display:block;margin-top:1rem;font-weight:600}input{font-size:1.1rem;padding:.4rem;width:100%;box-sizing:border-box}
button{margin-top:1.25rem;font-size:1.1rem;padding:.5rem 1.25rem}#result{margin-top:1rem;font-weight:600}
.ok{color:#0a6b2d}.error{color:#b00020}</style>
</head>
<body>
<main>
<h1>Add a printer</h1>
<p>${intro} Type the PIN shown on the printer.</p>
<form id="claim" novalidate>
${registration}
<label for="ownerKey">Owner key</label>
<input id="ownerKey" name="ownerKey" type="password" autocomplete="current-password" required>
<label for="pin">PIN shown on the printer</label>
<input id="pin" name="pin" type="text" inputmode="text" autocomplete="one-time-code" autocapitalize="characters"
 spellcheck="false" placeholder="XXXX-XXXX" required aria-describedby="pinHelp">
<p id="pinHelp"><small>Letters and digits; case and dashes do not matter.</small></p>
<button type="submit">Claim printer</button>
</form>
<p id="result" role="status" aria-live="polite"></p>
</main>
<script>
const form = document.getElementById('claim');
const result = document.getElementById('result');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const body = { pin: String(data.get('pin') || '') };
  if (data.get('registrationId')) body.registrationId = String(data.get('registrationId'));
  result.className = '';
  result.textContent = 'Adding the printer…';
  try {
    const res = await fetch(${JSON.stringify(input.claimsPath)}, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + String(data.get('ownerKey') || '') },
      body: JSON.stringify(body),
    });
    const answer = await res.json().catch(() => ({}));
    if (res.ok) {
      result.className = 'ok';
      result.textContent = 'Printer ' + answer.printerId + ' was added. It will be ready in a few seconds.';
      form.hidden = true;
    } else {
      result.className = 'error';
      result.textContent = answer.message || ('The printer could not be added (' + res.status + ').');
    }
  } catch (error) {
    result.className = 'error';
    result.textContent = 'The cloud could not be reached. Check your connection and try again.';
  }
});
</script>
</body>
</html>
`;
}
