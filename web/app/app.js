// cloudprint web app: sign in, print with progress, follow jobs, and (owner) printers and invites.
import {
  ApiError,
  api,
  authEvents,
  DIRECT_LIMIT_BYTES,
  faxDocument,
  keyStore,
  postDocument,
  uploadDocument,
} from './api.js';
import { deviceSteps } from './devices.js';
import { qrSvg } from './qr.js';

const $ = (id) => document.getElementById(id);

/** Builds an element; strings become text nodes (never HTML). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) el.append(child);
  return el;
}

const state = {
  role: null, // 'owner' | 'share'
  printers: [],
  /** keyId → label, for the owner's job list */
  labels: new Map(),
  sharedFiles: [],
  words: {},
  timer: null,
  /** a print under way (the 10-second refresh must not make Print available meanwhile) */
  printing: false,
  keyRefused: false,
};

const OPEN_JOB = new Set(['pending', 'pending-held', 'processing', 'processing-stopped']);
const JOB_WORDS = {
  pending: 'waiting for the printer',
  'pending-held': 'held',
  processing: 'printing',
  'processing-stopped': 'printing paused',
  completed: 'printed',
  aborted: 'failed',
  canceled: 'canceled',
};

function reasonText(code) {
  return state.words[code] ?? `the printer reports "${code}"`;
}

function sentence(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** What went wrong, for a person. */
function explain(error) {
  if (error instanceof ApiError) {
    if (error.status === 401 && state.role === 'owner')
      return 'The owner key no longer works: it may have been changed. Sign in with the current owner key.';
    if (error.status === 401)
      return 'This key no longer works: the owner may have removed your access. Ask the printer’s owner for a new invite.';
    if (error.code === 'not-accepting-jobs')
      return `The printer is not accepting jobs: ${reasonText(error.body.reason)}. Nothing was printed.`;
    if (error.status === 404) return 'That printer or job is not there any more, or this key may not see it.';
    if (error.status === 413) return `Too large: ${error.message}`;
    if (error.status === 415) return `This kind of file cannot be printed: ${error.message}`;
    if (error.code === 'function-not-supported') return `This device cannot ${error.body.function}.`;
    if (error.status === 422) return `The file could not be read: ${error.message}`;
    return error.message;
  }
  return error?.message || String(error);
}

function setMessage(el, text, kind = '') {
  el.textContent = text;
  el.className = `message ${kind}`.trim();
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

function ago(iso) {
  if (!iso) return 'never';
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return relative.format(seconds, 'second');
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86400), 'day');
}

function printerName(printerId) {
  return state.printers.find((p) => p.printerId === printerId)?.name ?? printerId;
}

/** One line about a printer for the person about to print. */
function printerLine(p) {
  const online = p.online ? 'online' : 'offline';
  if (p.acceptsNow) return `${p.name} is ${online} and accepting jobs.`;
  return `${p.name} is ${online} and not accepting jobs: ${reasonText(p.refusalReason)}.`;
}

// ---------- signing in ----------

/** An invite link carries the key in the fragment: take it, then drop it from the address bar and history. */
function takeInvite() {
  const match = /^#invite=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return match[1];
}

async function roleOf(printers) {
  // a share key sees exactly one printer and may not list its share keys
  if (printers.length !== 1) return 'owner';
  try {
    await api('GET', `v1/printers/${encodeURIComponent(printers[0].printerId)}/share-keys`);
    return 'owner';
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return 'share';
    throw error;
  }
}

function showSignIn(message = '', kind = '') {
  state.role = null;
  state.keyRefused = false;
  $('print-submit').disabled = false;
  $('banner').hidden = true;
  // nothing of the last person's session stays in the page for the next one to see
  state.printers = [];
  state.labels = new Map();
  $('jobs-list').replaceChildren();
  $('printers-list').replaceChildren();
  $('upload').hidden = true;
  setMessage($('print-status'), '');
  setMessage($('claim-message'), '');
  $('device-steps').replaceChildren();
  for (const id of ['print', 'jobs', 'printers', 'device']) $(id).hidden = true;
  $('who').hidden = true;
  $('signin').hidden = false;
  setMessage($('signin-message'), message, kind);
  clearInterval(state.timer);
}

async function enter(welcome = '') {
  let printers;
  try {
    ({
      data: { printers },
    } = await api('GET', 'v1/printers'));
    state.role = await roleOf(printers);
  } catch (error) {
    keyStore.clear();
    showSignIn(explain(error), 'error');
    return;
  }
  state.printers = printers;
  $('signin').hidden = true;
  $('who').hidden = false;
  $('who-text').textContent = state.role === 'owner' ? 'Signed in as the owner' : 'Signed in with an invite';
  $('print').hidden = false;
  $('jobs').hidden = false;
  $('printers').hidden = state.role !== 'owner';
  $('jobs-title').textContent = state.role === 'owner' ? 'Jobs on all printers' : 'Your jobs';
  renderPrinterChoice();
  await showOwnDevice().catch(() => undefined);
  if (welcome) setMessage($('print-status'), welcome, 'ok');
  await refresh();
  clearInterval(state.timer);
  state.timer = setInterval(() => {
    if (document.visibilityState === 'visible') refresh().catch(() => undefined);
  }, 10_000);
}

/** `force`: after the owner's own change, redraw the cards even while an input there has focus. */
async function refresh(force = false) {
  if (state.role === 'owner') {
    const { data } = await api('GET', 'v1/printers');
    state.printers = data.printers;
    await loadLabels();
    renderPrinters(force);
  } else if (state.role === 'share') {
    // a member sees the printer's state change (and learns at once when the key is revoked)
    const { data } = await api('GET', 'v1/printers');
    state.printers = data.printers;
  }
  renderPrinterChoice();
  await refreshJobs();
}

// ---------- printing ----------

function renderPrinterChoice() {
  const select = $('print-printer');
  const chosen = select.value;
  select.replaceChildren(
    ...state.printers.map((p) =>
      h('option', { value: p.printerId, selected: p.printerId === chosen }, p.name),
    ),
  );
  const current = state.printers.find((p) => p.printerId === select.value);
  const line = $('print-printer-state');
  line.textContent = current ? printerLine(current) : 'No printer yet.';
  line.className = `printer-line ${current && !current.acceptsNow ? 'error' : ''}`.trim();
  updatePrintButton(current);
  // a multi-function device also scans and faxes (the printer view's `functions`)
  const functions = current?.functions ?? ['print'];
  $('scan-form').hidden = !functions.includes('scan');
  $('fax-form').hidden = !functions.includes('fax');
  $('mfd').hidden = $('scan-form').hidden && $('fax-form').hidden;
}

/**
 * Print is unavailable while a print is under way, with a refused key, or while the last read says the
 * printer refuses; the line under the printer says why (said once, also as the button's description).
 * The next refresh that finds the printer accepting makes it available again.
 */
function updatePrintButton(current) {
  const button = $('print-submit');
  const refuses = current !== undefined && !current.acceptsNow;
  button.disabled = state.printing === true || state.keyRefused === true || refuses;
  if (refuses) button.setAttribute('aria-describedby', 'print-printer-state');
  else button.removeAttribute('aria-describedby');
}

// ---------- scan and fax ----------

/** Polls a scan or fax job until it is finished; the last view, or null when it could not be read. */
async function waitForJob(printerId, jobId, line, title) {
  const deadline = Date.now() + 30 * 60_000;
  while (Date.now() < deadline) {
    const { data: job } = await api(
      'GET',
      `v1/printers/${encodeURIComponent(printerId)}/jobs/${encodeURIComponent(jobId)}`,
    );
    line.textContent = `${title}: ${JOB_WORDS[job.state] ?? job.state}.`;
    if (!OPEN_JOB.has(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
  return null;
}

async function onScan(event) {
  event.preventDefault();
  const status = $('mfd-status');
  const printerId = $('print-printer').value;
  const form = $('scan-form');
  const button = $('scan-submit');
  button.disabled = true;
  try {
    const format = form.format.value;
    const body = { resolution: 300, color: $('print-form').color.value, source: form.source.value, format };
    const { data } = await api('POST', `v1/printers/${encodeURIComponent(printerId)}/scans`, { body });
    status.replaceChildren();
    status.className = 'message';
    const line = h('p', {}, 'Scan: sent, waiting for the device.');
    status.append(line);
    const job = await waitForJob(printerId, data.jobId, line, 'Scan');
    if (job?.state === 'completed' && job.documentUrl) {
      line.replaceChildren(
        'Scanned. ',
        h(
          'a',
          { href: job.documentUrl, download: `scan.${format === 'jpeg' ? 'jpg' : 'pdf'}` },
          'Download the scan',
        ),
      );
      line.className = 'ok';
    } else if (job) {
      line.className = 'error';
    }
    refreshJobs().catch(() => undefined);
  } catch (error) {
    setMessage(status, explain(error), 'error');
  } finally {
    button.disabled = false;
  }
}

async function onFax(event) {
  event.preventDefault();
  const status = $('mfd-status');
  const printerId = $('print-printer').value;
  const to = $('fax-to').value.trim();
  const files = [...state.sharedFiles, ...$('print-files').files];
  if (files.length === 0)
    return setMessage(status, 'Choose the photos or PDFs to fax first (above).', 'error');
  const big = files.find((file) => file.size > DIRECT_LIMIT_BYTES);
  if (big) return setMessage(status, `${big.name} is too large to fax (at most 4 MB).`, 'error');
  const button = $('fax-submit');
  button.disabled = true;
  try {
    status.replaceChildren();
    status.className = 'message';
    for (const file of files) {
      const title = file.name.slice(0, 200) || 'Untitled';
      const answer = await faxDocument(printerId, file, typeOf(file), to, title);
      const line = h('p', {}, `${title}: sent, waiting for the device.`);
      status.append(line);
      const job = await waitForJob(printerId, answer.jobId, line, title);
      if (job?.state === 'completed') {
        line.textContent = `Faxed to ${to}: ${title} (${job.impressions ?? job.pages} ${job.pages === 1 ? 'page' : 'pages'}).`;
        line.className = 'ok';
      } else if (job) line.className = 'error';
    }
    refreshJobs().catch(() => undefined);
  } catch (error) {
    setMessage(status, explain(error), 'error');
  } finally {
    button.disabled = false;
  }
}

const EXTENSION_TYPES = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
};

/** The Content-Type to send: the browser's, else from the name (desktop browsers leave HEIC untyped). */
function typeOf(file) {
  if (file.type) return file.type;
  const ext = file.name.split('.').pop()?.toLowerCase() ?? '';
  return EXTENSION_TYPES[ext] ?? '';
}

function showProgress(label, loaded, total) {
  $('upload').hidden = false;
  $('upload-label').textContent = label;
  const percent = total ? Math.round((loaded / total) * 100) : 0;
  $('upload-progress').value = percent;
  $('upload-percent').textContent = `${percent} %`;
}

function chosenOptions(title) {
  const form = $('print-form');
  return {
    copies: Number(form.copies.value) || 1,
    media: form.media.value,
    fit: form.fit.value,
    color: form.color.value,
    title: title.slice(0, 200) || 'Untitled',
  };
}

async function onPrint(event) {
  event.preventDefault();
  const status = $('print-status');
  const files = [...state.sharedFiles, ...$('print-files').files];
  $('upload').hidden = true;
  const printerId = $('print-printer').value;
  if (!printerId) return setMessage(status, 'There is no printer to print to yet.', 'error');
  if (files.length === 0) return setMessage(status, 'Choose at least one photo or PDF first.', 'error');
  const button = $('print-submit');
  state.printing = true;
  button.disabled = true;
  try {
    // Ask first (screen SC3): nothing is uploaded to a printer that would refuse it. The page's last read
    // may be up to one refresh old.
    setMessage(status, 'Checking the printer…');
    const { data: printer } = await api('GET', `v1/printers/${encodeURIComponent(printerId)}`);
    state.printers = state.printers.map((p) => (p.printerId === printerId ? printer : p));
    renderPrinterChoice();
    // the owner's card says the same as the line under the printer
    if (state.role === 'owner') renderPrinters();
    if (!printer.acceptsNow) {
      // the reason is in the line under the printer, just redrawn; not repeated here
      setMessage(
        status,
        `Nothing was uploaded: ${printer.name} has stopped accepting jobs since the page last looked (the reason is under the printer).`,
        'error',
      );
      return;
    }
    status.replaceChildren();
    status.className = 'message';
    const follow = h('ul', { class: 'follow' });
    status.append(follow);
    for (const [i, file] of files.entries()) {
      const contentType = typeOf(file);
      const options = chosenOptions(file.name);
      const label = `Uploading ${file.name} (${i + 1} of ${files.length})`;
      const progress = (loaded, total) => showProgress(label, loaded, total);
      showProgress(label, 0, file.size);
      const answer =
        file.size > DIRECT_LIMIT_BYTES
          ? await uploadDocument(printerId, file, contentType, options, progress)
          : await postDocument(
              printerId,
              file,
              contentType,
              Object.fromEntries(Object.entries(options).map(([k, v]) => [k, String(v)])),
              progress,
            );
      showProgress(`Uploaded ${file.name}`, 1, 1);
      const line = h('li', {}, `${options.title}: sent, waiting for the printer.`);
      follow.append(line);
      followJob(printerId, answer.jobId, options.title, line);
    }
    state.sharedFiles = [];
    $('print-shared').hidden = true;
    $('print-files').value = '';
    await refreshJobs();
  } catch (error) {
    $('upload').hidden = true;
    setMessage(status, explain(error), 'error');
  } finally {
    // a key refused meanwhile (onKeyRefused) leaves nothing to print with; a refusing printer neither
    state.printing = false;
    updatePrintButton(state.printers.find((p) => p.printerId === printerId));
  }
}

/** Polls the job (ETag: an unchanged job costs a 304) until it is finished, then says how it ended. */
async function followJob(printerId, jobId, title, line) {
  let etag = null;
  let job = null;
  const deadline = Date.now() + 30 * 60_000;
  while (Date.now() < deadline) {
    try {
      const answer = await api(
        'GET',
        `v1/printers/${encodeURIComponent(printerId)}/jobs/${encodeURIComponent(jobId)}`,
        {
          headers: etag ? { 'if-none-match': etag } : {},
        },
      );
      if (answer.status !== 304) {
        job = answer.data;
        etag = answer.etag;
        line.textContent = `${title}: ${JOB_WORDS[job.state] ?? job.state}.`;
      }
      if (job && !OPEN_JOB.has(job.state)) break;
    } catch (error) {
      line.textContent = `${title}: ${explain(error)}`;
      line.className = 'error';
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
  if (!job) return;
  if (job.state === 'completed') {
    line.textContent = `Printed: ${title} (${job.pages} ${job.pages === 1 ? 'page' : 'pages'}).`;
    line.className = 'ok';
  } else if (job.state === 'aborted' || job.state === 'canceled') {
    const why = job.reasons.filter((r) => r !== 'none').join(', ');
    line.textContent = `${sentence(JOB_WORDS[job.state])}: ${title}${why ? ` (${why})` : ''}.`;
    line.className = 'error';
  }
  refreshJobs().catch(() => undefined);
}

// ---------- jobs ----------

function submitter(job) {
  if (state.role !== 'owner') return 'you';
  if (job.submittedBy === 'owner') return 'owner';
  const keyId = String(job.submittedBy ?? '').replace(/^share:/, '');
  // the label the job was submitted under outlives the key; a live key's label may have been set later
  return state.labels.get(keyId) ?? job.submitterLabel ?? 'an invited person';
}

async function refreshJobs() {
  const lists = await Promise.all(
    state.printers.map((p) =>
      api('GET', `v1/printers/${encodeURIComponent(p.printerId)}/jobs`).then((a) => a.data.jobs),
    ),
  );
  const jobs = lists
    .flat()
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  $('jobs-empty').hidden = jobs.length > 0;
  $('jobs-list').replaceChildren(
    ...jobs.slice(0, 100).map((job) =>
      h(
        'li',
        {},
        h('span', { class: 'title' }, job.title),
        h(
          'span',
          { class: 'meta' },
          `${sentence(JOB_WORDS[job.state] ?? job.state)} · ${job.pages} ${job.pages === 1 ? 'page' : 'pages'} · ${submitter(job)} · ${printerName(job.printerId)} · `,
          h('time', { datetime: job.createdAt }, timeFormat.format(new Date(job.createdAt))),
        ),
        OPEN_JOB.has(job.state)
          ? h(
              'span',
              { class: 'actions' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  'aria-label': `Cancel ${job.title}`,
                  onclick: () => cancelJob(job),
                },
                'Cancel',
              ),
            )
          : null,
      ),
    ),
  );
}

async function cancelJob(job) {
  try {
    await api(
      'DELETE',
      `v1/printers/${encodeURIComponent(job.printerId)}/jobs/${encodeURIComponent(job.jobId)}`,
    );
    setMessage($('print-status'), `Canceled: ${job.title}.`, 'ok');
  } catch (error) {
    setMessage($('print-status'), explain(error), 'error');
  }
  await refreshJobs();
}

// ---------- the owner's printers ----------

async function loadLabels() {
  state.shareKeys = new Map();
  for (const p of state.printers) {
    const { data } = await api('GET', `v1/printers/${encodeURIComponent(p.printerId)}/share-keys`);
    state.shareKeys.set(p.printerId, data.shareKeys);
    for (const key of data.shareKeys) state.labels.set(key.keyId, key.label ?? 'unnamed key');
  }
}

function badge(text, good) {
  return h('span', { class: `state ${good ? 'good' : 'bad'}` }, text);
}

/** What the printer reports (printer-client: toner in %, paper in sheets, free memory in MB). */
const SUPPLIES = {
  toner: { label: 'Toner', unit: '%', bar: true, low: 15 },
  ink: { label: 'Ink', unit: '%', bar: true, low: 15 },
  paper: { label: 'Paper', unit: 'sheets', bar: false, low: 10 },
  memoryMb: { label: 'Memory', unit: 'MB free', bar: false, low: 16 },
};

function supplyRows(supplies) {
  const entries = Object.entries(supplies ?? {});
  if (entries.length === 0) return 'not reported';
  return entries.map(([name, raw]) => {
    const kind = SUPPLIES[name] ?? { label: sentence(name), unit: '', bar: false, low: -1 };
    const level = Number(raw);
    const id = `supply-${name}-${Math.random().toString(36).slice(2, 8)}`;
    const low = level <= kind.low;
    return h(
      'div',
      { class: 'supply' },
      h('span', { id }, kind.label),
      kind.bar
        ? h(
            'meter',
            {
              min: 0,
              max: 100,
              low: kind.low + 1,
              high: 40,
              optimum: 100,
              value: Math.max(0, Math.min(100, level)),
              'aria-labelledby': id,
            },
            `${level} %`,
          )
        : h('span', { class: low ? 'low' : '' }, low ? 'low' : ''),
      h('span', { class: `amount ${low ? 'low' : ''}`.trim() }, `${level} ${kind.unit}`.trim()),
    );
  });
}

function printerCard(p) {
  const acceptance = p.acceptsNow
    ? 'Yes'
    : `No: ${reasonText(p.refusalReason)}${p.refusalReason === p.acceptingReason ? ` (set by the ${p.acceptingSetBy}, ${ago(p.acceptingSetAt)})` : ''}`;
  const reasons = (p.reasons ?? []).filter((r) => r !== 'none');
  const headingId = `printer-${p.printerId}`;
  const graceId = `grace-${p.printerId}`;
  const labelId = `invite-label-${p.printerId}`;
  const deviceId = `device-label-${p.printerId}`;
  const invite = h('div', { class: 'invite', hidden: true, 'aria-live': 'polite' });
  const keys = state.shareKeys?.get(p.printerId) ?? [];
  return h(
    'article',
    { class: 'printer-card', 'aria-labelledby': headingId },
    h(
      'h3',
      { id: headingId },
      p.name,
      badge(p.online ? 'online' : 'offline', p.online),
      badge(p.acceptsNow ? 'accepting jobs' : 'not accepting jobs', p.acceptsNow),
    ),
    h(
      'dl',
      {},
      h('dt', {}, 'Accepting jobs'),
      h('dd', {}, acceptance),
      h('dt', {}, 'State'),
      h('dd', {}, `${sentence(p.state)}${reasons.length ? `: ${reasons.map(reasonText).join('; ')}` : ''}`),
      h('dt', {}, 'Supplies'),
      h('dd', {}, supplyRows(p.supplies)),
      h('dt', {}, 'Last seen'),
      h('dd', {}, p.lastSeenAt ? h('time', { datetime: p.lastSeenAt }, ago(p.lastSeenAt)) : 'never'),
      p.name === p.printerId ? null : [h('dt', {}, 'Printer id'), h('dd', {}, p.printerId)],
    ),
    p.acceptsNow || p.refusalReason !== 'paused' || p.acceptingSetBy !== 'cloud'
      ? null
      : h(
          'p',
          { class: 'hint' },
          'Turn the cloud service on at the printer (its own settings page) so that it accepts jobs.',
        ),
    h(
      'form',
      { class: 'row', onsubmit: (e) => saveGrace(e, p) },
      h(
        'div',
        {},
        h('label', { for: graceId }, 'Stop accepting after offline for (hours, empty = never)'),
        h('input', {
          id: graceId,
          name: 'grace',
          type: 'number',
          min: 1,
          max: 8760,
          inputmode: 'numeric',
          value: p.offlineGraceHours ?? '',
        }),
      ),
      h('button', { type: 'submit', class: 'secondary' }, 'Save'),
    ),
    h('h4', {}, 'People and devices that may print'),
    keys.length
      ? h(
          'ul',
          { class: 'keys' },
          keys.map((key) =>
            h(
              'li',
              {},
              h(
                'span',
                {},
                `${key.label ?? 'unnamed key'} · since ${timeFormat.format(new Date(key.createdAt))}`,
              ),
              h(
                'button',
                {
                  type: 'button',
                  class: 'danger key-action',
                  'aria-label': `Revoke ${key.label ?? key.keyId}`,
                  onclick: () => revokeKey(p, key),
                },
                'Revoke',
              ),
              key.ippUri
                ? deviceSteps(h, {
                    keyId: key.keyId,
                    printerName: p.name,
                    label: key.label ?? 'unnamed key',
                    ippUri: key.ippUri,
                    open: key.keyId === state.openDevice || state.openKeys?.has(key.keyId),
                  })
                : null,
            ),
          ),
        )
      : h('p', { class: 'hint' }, 'Nobody else yet.'),
    h(
      'form',
      { class: 'row', onsubmit: (e) => createInvite(e, p, invite) },
      h(
        'div',
        {},
        h('label', { for: labelId }, 'Invite someone (their name)'),
        h('input', { id: labelId, name: 'label', required: true, maxlength: 100, autocomplete: 'off' }),
      ),
      h('button', { type: 'submit', class: 'secondary' }, 'Create invite'),
    ),
    invite,
    h(
      'form',
      { class: 'row', onsubmit: (e) => createDeviceKey(e, p) },
      h(
        'div',
        {},
        h('label', { for: deviceId }, 'Add to a computer or phone (its name)'),
        h('input', { id: deviceId, name: 'label', required: true, maxlength: 100, autocomplete: 'off' }),
      ),
      h('button', { type: 'submit', class: 'secondary' }, 'Show how'),
    ),
  );
}

/** A share key for a device's own print dialog: its steps open in the key list, the URL ready to copy. */
async function createDeviceKey(event, p) {
  event.preventDefault();
  const label = event.target.label.value.trim();
  try {
    const { data } = await api('POST', `v1/printers/${encodeURIComponent(p.printerId)}/share-keys`, {
      body: { label },
    });
    state.openDevice = data.keyId;
    await refresh(true);
    document.querySelector('details.device[open] summary')?.focus();
  } catch (error) {
    setMessage($('claim-message'), explain(error), 'error');
  }
}

function renderPrinters(force = false) {
  const list = $('printers-list');
  // The 10-second refresh must not wipe what the owner is doing: a half-typed name keeps the cards as
  // they are; open steps and a shown invite survive the redraw.
  const typing = [...list.querySelectorAll('input:not([readonly])')].some(
    (input) => input === document.activeElement || (input.name === 'label' && input.value),
  );
  if (typing && !force) return;
  state.openKeys = new Set([...list.querySelectorAll('details.device[open]')].map((d) => d.dataset.keyId));
  const invites = new Map(
    [...list.querySelectorAll('article.printer-card')]
      .map((card) => [card.getAttribute('aria-labelledby'), card.querySelector('.invite:not([hidden])')])
      .filter(([, invite]) => invite),
  );
  list.replaceChildren(
    ...(state.printers.length
      ? state.printers.map(printerCard)
      : [h('p', { class: 'hint' }, 'No printers yet: add one with its PIN below.')]),
  );
  for (const [headingId, invite] of invites) {
    const card = list.querySelector(`article[aria-labelledby="${CSS.escape(headingId)}"]`);
    card?.querySelector('.invite')?.replaceWith(invite);
  }
}

async function saveGrace(event, p) {
  event.preventDefault();
  const value = event.target.grace.value.trim();
  try {
    await api('PATCH', `v1/printers/${encodeURIComponent(p.printerId)}`, {
      body: { offlineGraceHours: value === '' ? null : Number(value) },
    });
    await refresh(true);
  } catch (error) {
    setMessage($('claim-message'), explain(error), 'error');
  }
}

async function createInvite(event, p, box) {
  event.preventDefault();
  const label = event.target.label.value.trim();
  try {
    const { data } = await api('POST', `v1/printers/${encodeURIComponent(p.printerId)}/share-keys`, {
      body: { label },
    });
    await refresh(true);
    // the card was drawn again: show the invite in the new one
    const card = document.getElementById(`printer-${p.printerId}`)?.closest('article');
    const target = card?.querySelector('.invite') ?? box;
    target.hidden = false;
    target.replaceChildren(
      h(
        'p',
        {},
        `Invite for ${label}: send this link, or let them scan the code. Anyone with it may print to ${p.name}.`,
      ),
      h('a', { href: data.inviteUrl, class: 'invite-link', rel: 'noreferrer' }, data.inviteUrl),
      qrSvg(data.inviteUrl, `QR code of the invite for ${label}`),
    );
  } catch (error) {
    setMessage($('claim-message'), explain(error), 'error');
  }
}

async function revokeKey(p, key) {
  try {
    await api(
      'DELETE',
      `v1/printers/${encodeURIComponent(p.printerId)}/share-keys/${encodeURIComponent(key.keyId)}`,
    );
    setMessage($('claim-message'), `${key.label ?? 'The key'} may no longer print to ${p.name}.`, 'ok');
  } catch (error) {
    setMessage($('claim-message'), explain(error), 'error');
  }
  await refresh(true);
}

async function onClaim(event) {
  event.preventDefault();
  const message = $('claim-message');
  try {
    const { data } = await api('POST', 'v1/claims', { body: { pin: $('claim-pin').value.trim() } });
    $('claim-pin').value = '';
    setMessage(
      message,
      `Printer ${data.printerId} is yours. Next, at the printer: turn its cloud service on (the printer’s own settings page). Until then it does not accept jobs.`,
      'ok',
    );
    await refresh(true);
  } catch (error) {
    setMessage(
      message,
      error instanceof ApiError && error.code === 'wrong-pin'
        ? `Wrong PIN. ${error.message}`
        : explain(error),
      'error',
    );
  }
}

// ---------- shared files (the share sheet, through the service worker) ----------

async function takeSharedFiles() {
  if (location.hash !== '#shared' || !('caches' in window)) return;
  history.replaceState(null, '', location.pathname + location.search);
  const cache = await caches.open('cloudprint-shared');
  const files = [];
  for (const request of await cache.keys()) {
    const response = await cache.match(request);
    if (!response) continue;
    const blob = await response.blob();
    const name = decodeURIComponent(response.headers.get('x-file-name') ?? 'shared');
    files.push(new File([blob], name, { type: response.headers.get('content-type') ?? blob.type }));
    await cache.delete(request);
  }
  state.sharedFiles = files;
  if (files.length) {
    const hint = $('print-shared');
    hint.hidden = false;
    hint.textContent = `Shared with cloudprint: ${files.map((f) => f.name).join(', ')}. Choose the options and press Print.`;
  }
}

// ---------- a member's own IPP URL ----------

/** A member sees the steps for their own key (GET /v1/printers/{id} answers a share key its ippUri). */
async function showOwnDevice() {
  $('device').hidden = true;
  const printer = state.printers[0];
  if (state.role !== 'share' || !printer) return;
  const { data } = await api('GET', `v1/printers/${encodeURIComponent(printer.printerId)}`);
  if (!data.ippUri) return;
  $('device-steps').replaceChildren(
    deviceSteps(h, {
      keyId: 'own',
      printerName: data.name,
      label: '',
      ippUri: data.ippUri,
      own: true,
      heading: 'h3',
    }),
  );
  $('device').hidden = false;
}

// ---------- a key that stopped working ----------

/**
 * Any action refused with 401 while signed in (print, jobs, the printer, the owner's pages): the key was
 * revoked or changed. Said once, in words, with the way out (sign out) at hand; polling stops.
 */
function onKeyRefused() {
  if (!state.role) return;
  clearInterval(state.timer);
  state.keyRefused = true;
  $('print-submit').disabled = true;
  // an earlier "Welcome! You can print now." would now say the opposite of the banner
  if ($('print-status').classList.contains('ok')) setMessage($('print-status'), '');
  const line = $('print-printer-state');
  line.textContent = 'This key may no longer print.';
  line.className = 'printer-line error';
  const banner = $('banner');
  if (!banner.hidden) return;
  const text =
    state.role === 'share'
      ? 'Your invite no longer works: the printer’s owner has removed your access (or sent you a new invite). Nothing more can be printed with it. Ask the owner for a new invite.'
      : 'The owner key no longer works: it may have been changed. Sign out and sign in with the current owner key.';
  banner.replaceChildren(
    h('p', {}, text),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: () => {
          keyStore.clear();
          showSignIn('Signed out. The key was removed from this browser.');
        },
      },
      'Sign out',
    ),
  );
  banner.hidden = false;
}

// ---------- start ----------

async function start() {
  $('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    keyStore.set($('signin-key').value.trim());
    $('signin-key').value = '';
    await enter();
  });
  $('sign-out').addEventListener('click', () => {
    keyStore.clear();
    showSignIn('Signed out. The key was removed from this browser.');
  });
  $('print-form').addEventListener('submit', onPrint);
  $('scan-form').addEventListener('submit', onScan);
  $('fax-form').addEventListener('submit', onFax);
  $('print-printer').addEventListener('change', renderPrinterChoice);
  $('claim-form').addEventListener('submit', onClaim);
  $('jobs-refresh').addEventListener('click', () => refresh().catch(() => undefined));
  authEvents.addEventListener('unauthorized', onKeyRefused);

  state.words = await fetch('app/reasons.json')
    .then((r) => r.json())
    .catch(() => ({}));
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js').catch(() => undefined);
  const invite = takeInvite();
  if (invite) keyStore.set(invite);
  await takeSharedFiles();
  if (keyStore.get()) await enter(invite ? 'Welcome! You can print now.' : '');
  else showSignIn();
  document.body.dataset.ready = 'true';
}

start();
