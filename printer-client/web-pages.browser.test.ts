/** The settings screens in a real browser (Debian's Chromium), driven the way a person would: by labels. */
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, until } from './testing-fakes.ts';
import { startWebServer, type WebServer } from './web-server.ts';

let browser: Browser;
const servers: WebServer[] = [];

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
});

async function served() {
  const h = await harness();
  const web = await startWebServer(h.printer, 0);
  servers.push(web);
  const page = await browser.newPage();
  return { ...h, web, page };
}

describe('settings screen SC1/SC5 in Chromium', () => {
  it('enable, then disable with "also stop accepting" ticked: SC2 and accepting stopped', async () => {
    // Prepare
    const s = await served();
    await s.page.goto(`${s.web.url}/settings`);

    // Act: enable (T110)
    await s.page.getByLabel('Enabled').check();
    await s.page.getByRole('button', { name: 'OK' }).click();

    // Assess
    await expect(s.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Settings changed');
    await until(() => s.printer.snapshot().connection === 'connected', 'connected');

    // Act: disable, checkbox ticked, right away (T410)
    await s.page.goto(`${s.web.url}/settings`);
    await s.page.getByLabel('Disabled').check();
    await s.page.getByLabel('Also stop accepting print requests').check();
    await s.page.getByLabel('Right away').check();
    await s.page.getByRole('button', { name: 'OK' }).click();

    // Assess
    await expect(s.page.locator('#message').textContent()).resolves.toContain('no longer accepted');
    await s.printer.outbox.idle();
    const state = (await (await fetch(`${s.web.url}/api/state`)).json()) as Record<string, unknown>;
    expect(state).toMatchObject({
      service: 'disabled',
      connection: 'off',
      acceptingJobs: false,
      settings: { stopAccepting: 'now' },
    });
    expect(s.cloud.lastAccepting()).toEqual({ acceptingJobs: false, reason: 'paused' });
    await s.page.close();
  });

  it('"ask me each time": the inquiry screen SC4; No keeps the cloud accepting', async () => {
    // Prepare
    const s = await served();
    await s.printer.setService(true);
    await s.page.goto(`${s.web.url}/settings`);

    // Act
    await s.page.getByLabel('Disabled').check();
    await s.page.getByLabel('Also stop accepting print requests').check();
    await s.page.getByLabel('Ask me each time').check();
    await s.page.getByRole('button', { name: 'OK' }).click();

    // Assess
    await expect(s.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Stop accepting print requests?',
    );
    expect(s.printer.snapshot().inquiry).toBe(true);

    // Act
    await s.page.getByRole('button', { name: 'No, keep accepting' }).click();

    // Assess
    await expect(s.page.locator('#message').textContent()).resolves.toContain('still accepted');
    expect(s.printer.snapshot()).toMatchObject({ inquiry: false, service: 'disabled', acceptingJobs: true });
    await s.page.close();
  });

  it('the checkbox left unticked with "stop only after N minutes": saved, and nothing is sent', async () => {
    // Prepare
    const s = await served();
    await s.printer.setService(true);
    await s.printer.outbox.idle();
    await s.page.goto(`${s.web.url}/settings`);

    // Act
    await s.page.getByLabel('Disabled').check();
    await s.page.getByLabel('Also stop accepting print requests').uncheck();
    await s.page.getByLabel('minutes:').fill('15');
    await s.page.getByRole('button', { name: 'OK' }).click();

    // Assess
    await expect(s.page.locator('#message').textContent()).resolves.toContain('still accepted');
    expect(s.printer.snapshot()).toMatchObject({
      service: 'disabled',
      pendingStop: null,
      settings: { stopAccepting: 'never', afterMinutes: 15 },
    });
    expect(s.cloud.acceptingCalls()).toEqual([{ acceptingJobs: true }]);
    await s.page.goto(`${s.web.url}/settings`);
    await expect(s.page.getByLabel('Also stop accepting print requests').isChecked()).resolves.toBe(false);
    await expect(s.page.getByLabel('minutes:').inputValue()).resolves.toBe('15');
    await s.page.close();
  });
});
