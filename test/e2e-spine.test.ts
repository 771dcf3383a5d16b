/**
 * The spine, end to end: the local cloud and printer-client as separate processes, registration by PIN,
 * service on, a real JPEG submitted through REST, a valid PDF in the printer's out folder, the job
 * completed in the cloud. Then service off: the same submit is refused before anything is stored.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as cli } from '../cli/main.ts';
import { PrinterControl, Terminal } from './support/api.ts';
import { imagesOnPage, makeJpeg, registerByPin, waitForPrinted } from './support/flows.ts';
import { type CloudProc, type PrinterProc, startCloud, startPrinter, tempDir } from './support/processes.ts';
import { countStorage } from './support/storage.ts';
import { waitFor } from './support/wait.ts';

describe('spine: PIN registration, print, refuse when off', () => {
  let cloud: CloudProc;
  let printer: PrinterProc;
  let owner: Terminal;
  let control: PrinterControl;
  const printerId = 'P1';

  beforeAll(async () => {
    cloud = await startCloud();
    printer = await startPrinter({ server: cloud.local.apiUrl, printerId });
    owner = new Terminal(cloud.local.apiUrl, cloud.local.ownerKey);
    control = new PrinterControl(printer.uiUrl);
  });

  afterAll(async () => {
    await printer?.stop();
    await cloud?.stop();
  });

  it('registers by PIN and gets a token (T10–T62)', async () => {
    // Act
    await registerByPin(cloud, printer);

    // Assess
    const state = await control.state();
    expect(state.registered).toBe(true);
    expect(state.registration).toBeNull();
    const listed = await owner.printer(printerId);
    expect(listed?.printerId).toBe(printerId);
  });

  it('prints a JPEG submitted through REST once the service is on (T100–T150)', async () => {
    // Prepare
    await control.service(true);
    await control.waitForState(
      (s) => s.connection === 'connected' && s.acceptingJobs,
      'connected and accepting',
    );
    await owner.waitForAccepting(printerId, true);
    const jpeg = await makeJpeg();

    // Act
    const submitted = await owner.submit(printerId, jpeg, 'image/jpeg', 'title=Holiday%20photo');

    // Assess
    expect(submitted.status).toBe(202);
    expect(submitted.body.state).toBe('pending');
    const { jobId } = submitted.body;
    const printed = await waitForPrinted(printer, jobId);
    expect(printed.pdf.getPageCount()).toBe(1);
    expect(imagesOnPage(printed.pdf, 0)).toBe(1);
    expect(printed.meta.title).toBe('Holiday photo');
    const job = await owner.waitForJobState(printerId, jobId, 'completed');
    expect(job.state).toBe('completed');
  });

  it('refuses a print request with 503 and stores nothing once the service is off (T200–T234)', async () => {
    // Prepare
    await control.service(false, 'now');
    await owner.waitForAccepting(printerId, false);
    const before = await countStorage(cloud.local);
    const jpeg = await makeJpeg();

    // Act
    const refused = await owner.submit(printerId, jpeg, 'image/jpeg');
    const page = await owner.request('POST', `/v1/printers/${printerId}/jobs`, {
      body: jpeg,
      headers: { 'content-type': 'image/jpeg', accept: 'text/html' },
    });

    // Assess
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('not-accepting-jobs');
    expect(refused.body).toMatchObject({ printerId });
    expect(page.status).toBe(503);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain(printerId);
    expect(await countStorage(cloud.local)).toEqual(before);
    const state = await control.state();
    expect(state.connection).toBe('off');
  });
});

describe('the cloudprint CLI', () => {
  it('claims a printer by PIN, lists it, reports a refused print, shares and revokes a key', async () => {
    // Prepare
    const cloud = await startCloud();
    const logged: string[] = [];
    const original = console.log;
    console.log = (...parts: unknown[]) => {
      logged.push(parts.map(String).join(' '));
    };
    const dir = await tempDir('cli');
    const file = join(dir, 'photo.jpg');
    await writeFile(file, await makeJpeg(64, 48));
    const target = ['--api', cloud.local.apiUrl, '--key', cloud.local.ownerKey, '--json'];
    try {
      const registration = (await (
        await fetch(`${cloud.local.apiUrl}/v1/registrations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ printerId: 'CLI1', name: 'Desk' }),
        })
      ).json()) as { registrationId: string; pin: string; pollToken: string };
      const collectToken = () =>
        waitFor(
          async () => {
            const poll = await fetch(
              `${cloud.local.apiUrl}/v1/registrations/${registration.registrationId}`,
              {
                headers: { authorization: `Bearer ${registration.pollToken}` },
              },
            );
            return ((await poll.json()) as { status: string }).status === 'complete' ? true : undefined;
          },
          { intervalMs: 1_000, what: 'the printer to collect its token' },
        );

      // Act
      const claimed = await cli(['claim', registration.pin, registration.registrationId, ...target]);
      await collectToken();
      const listed = await cli(['printers', ...target]);
      const printed = await cli(['print', 'CLI1', file, ...target]);

      // Assess
      expect(claimed).toBe(0);
      expect(listed).toBe(0);
      expect(logged.join('\n')).toContain('"printerId": "CLI1"');
      // claimed but never turned on: not accepting yet
      expect(printed).toBe(1);
      expect(logged.at(-1)).toContain('not-accepting-jobs');

      // a share key for a friend, listed, then revoked: the key stops working
      expect(await cli(['share', 'CLI1', ...target])).toBe(0);
      const share = JSON.parse(logged.at(-1) ?? '{}') as { shareKey: string; keyId: string };
      expect(await cli(['share-keys', 'CLI1', ...target])).toBe(0);
      expect(logged.at(-1)).toContain(share.keyId);
      const asFriend = ['--api', cloud.local.apiUrl, '--key', share.shareKey, '--json'];
      expect(await cli(['printers', ...asFriend])).toBe(0);
      expect(await cli(['revoke', 'CLI1', share.keyId, ...target])).toBe(0);
      expect(await cli(['printers', ...asFriend])).toBe(1);
      expect(logged.at(-1)).toContain('unauthorized');
    } finally {
      console.log = original;
      await cloud.stop();
    }
  });
});
