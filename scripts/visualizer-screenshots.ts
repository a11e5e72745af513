/**
 * `npm run docs:screenshots`: the screenshots of the visualizer tour in README.md and
 * docs/operations.md, taken in Debian's headless Chromium against a real gateway and the dev
 * connector. Writes docs/images/visualizer-*.png.
 */
import { chromium, type Page } from 'playwright-core';
import { startDevConnector } from '../src/dev-connector/dev-connector.js';
import { createRelayGateway } from '../src/gateway/create-relay-gateway.js';
import { serveVisualizer } from '../src/visualizer/serve-visualizer.js';

const OUT = 'docs/images';
const connector = await startDevConnector({ secrets: { g: 'screenshot-secret' } });
const gateway = createRelayGateway({ url: connector.url, gatewayId: 'g', secret: 'screenshot-secret', reconnect: { baseMs: 4000, capMs: 4000 } });
gateway.onMessage(async (event) => {
  await gateway.send(event.source.chat_id, `echo: ${event.text}`);
});
const visualizer = await serveVisualizer(gateway, { control: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--disable-gpu', '--disable-quic'] });
const state = (page: Page, wanted: string) => page.waitForFunction((s) => document.getElementById('active-state')?.textContent === s, wanted);
try {
  await gateway.start();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(visualizer.url);
  await state(page, 'serving');
  for (const text of ['hello', 'how are you?']) connector.pushInbound({ text, source: { platform: 'relay', chat_id: 'c1', user_id: 'u1' } }, 'g');
  await page.waitForFunction(() => document.querySelectorAll('#frames li').length >= 8);
  await page.screenshot({ path: `${OUT}/visualizer-overview.png` });
  connector.dropLinks();
  await state(page, 'reconnecting');
  await page.waitForFunction(() => /● \d/u.test(document.querySelector('g.state[data-state="running.reconnecting"] > text.status')?.textContent ?? ''));
  await page.screenshot({ path: `${OUT}/visualizer-reconnecting.png` });
  await state(page, 'serving');
  await page.locator('#timeline li[data-to="reconnecting"]').first().click();
  await page.screenshot({ path: `${OUT}/visualizer-time-travel.png`, fullPage: true });
  await page.locator('#go-live').click();
  // The header is sticky; for a picture of the panels alone it must not sit on top of them.
  await page.evaluate(() => document.querySelector('header')?.style.setProperty('position', 'static'));
  await page.locator('.panels').screenshot({ path: `${OUT}/visualizer-panels.png` });
  console.log(`wrote ${OUT}/visualizer-{overview,reconnecting,time-travel,panels}.png`);
} finally {
  await browser.close();
  await visualizer.close();
  await gateway.stop();
  await connector.close();
}
