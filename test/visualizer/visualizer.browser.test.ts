/**
 * End to end in a real browser: Debian's Chromium (never a downloaded one) driven by playwright-core
 * opens the visualizer of a gateway connected to the dev connector, and follows it through a drop,
 * a reconnect and a revocation. Saves a screenshot to test-results/visualizer.png.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelayGateway } from '../../src/gateway/create-relay-gateway.js';
import { serveVisualizer } from '../../src/visualizer/serve-visualizer.js';
import { useConnector } from '../support/fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const SECRET = 'visualizer-Secret-4242';
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: run "apt-get update && apt-get install -y chromium" (as root)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--disable-gpu', '--disable-quic'] });
}, 30_000);
afterAll(async () => {
  await browser?.close();
});

const text = (page: Page, selector: string): Promise<string> => page.locator(selector).innerText();

describe('the live visualizer in Chromium', () => {
  it('follows serving -> reconnecting -> serving -> disabled, with log, attempt and keyboard details', async () => {
    const connector = await useConnector({ secrets: { g: SECRET } });
    const gateway = createRelayGateway({ url: connector.url, gatewayId: 'g', secret: SECRET, reconnect: { baseMs: 400, capMs: 800 } });
    const visualizer = await serveVisualizer(gateway);
    const page = await browser.newPage({ viewport: { width: 1600, height: 1100 } });
    try {
      await gateway.start();
      await page.goto(visualizer.url);
      await page.waitForFunction(() => document.getElementById('active-state')?.textContent === 'serving');
      // The serving box (and only active boxes) carries the visible text marker, not just a colour.
      const servingBox = page.locator('g.state[data-state="running.link.open.serving"]');
      expect(await servingBox.getAttribute('class')).toContain('active');
      expect(await servingBox.locator(':scope > text.marker').isVisible()).toBe(true);
      expect(await page.locator('g.state[data-state="running.reconnecting"] > text.marker').isVisible()).toBe(false);
      expect(await page.locator('g.state[data-state="running.link.open.serving.live"]').getAttribute('class')).toContain('active');
      const logBefore = await page.locator('#event-log li').count();
      expect(logBefore).toBeGreaterThan(0); // history of the dial and handshake, sent on connect
      expect(await text(page, '#attempt')).toBe('0');
      expect(await text(page, '#descriptor')).toContain('relay');

      // The connector drops the link: the page shows reconnecting (attempt 1), then serving again.
      connector.dropLinks();
      await page.waitForFunction(() => document.getElementById('active-state')?.textContent === 'reconnecting');
      expect(await text(page, '#attempt')).toBe('1');
      expect(await text(page, '#next-retry')).not.toBe('—');
      await page.waitForFunction(() => document.getElementById('active-state')?.textContent === 'serving');
      expect(await page.locator('#event-log li').count()).toBeGreaterThan(logBefore);
      expect(await page.locator('#event-log li.change[data-to="reconnecting"]').count()).toBeGreaterThanOrEqual(1);

      // Keyboard only: Tab moves focus onto the state boxes; Enter shows the description.
      await page.locator('body').focus();
      let focused = '';
      for (let i = 0; i < 30 && focused !== 'running.link.dialing'; i++) {
        await page.keyboard.press('Tab');
        focused = await page.evaluate(() => document.activeElement?.getAttribute('data-state') ?? '');
      }
      expect(focused).toBe('running.link.dialing');
      await page.keyboard.press('Enter');
      const description = await text(page, '#details-description');
      expect(description.length).toBeGreaterThan(10);
      expect(await text(page, '#details')).toContain('dialing');

      // Revocation: disabled, for good.
      connector.revoke('g');
      await page.waitForFunction(() => document.getElementById('active-state')?.textContent === 'disabled');
      expect(await page.locator('g.state[data-state="disabled"]').getAttribute('class')).toContain('active');
      expect(await text(page, '#last-close')).toContain('4401');

      mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: 'test-results/visualizer.png', fullPage: true });
      expect(existsSync('test-results/visualizer.png')).toBe(true);
    } finally {
      await page.close();
      await visualizer.close();
      await gateway.stop();
    }
  }, 40_000);

  it('a reload resumes with the recent history', async () => {
    const connector = await useConnector();
    const gateway = createRelayGateway({ url: connector.url, reconnect: { baseMs: 50, capMs: 100 } });
    const visualizer = await serveVisualizer(gateway);
    const page = await browser.newPage();
    try {
      await gateway.start();
      connector.closeLinks(1012, 'restart');
      await connector.waitForHandshake(2);
      await page.goto(visualizer.url);
      await page.waitForFunction(() => document.querySelectorAll('#event-log li.change[data-to="reconnecting"]').length === 1);
      const before = await page.locator('#event-log li').count();
      await page.reload();
      await page.waitForFunction((n) => document.querySelectorAll('#event-log li').length === n, before);
      expect(await text(page, '#active-state')).toBe('serving');
    } finally {
      await page.close();
      await visualizer.close();
      await gateway.stop();
    }
  }, 30_000);
});
