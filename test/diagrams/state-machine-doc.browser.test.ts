/**
 * docs/state-machine.md as a reader sees it: every Mermaid block rendered by Mermaid itself in
 * Debian's headless Chromium, in a 900 px column (how GitHub shows a Markdown file). Every state
 * name must be at least 10 px on screen and no edge label may overlap another label, a state box or
 * a title bar. Screenshots go to test-results/state-machine-*.png; sizes are printed.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionMachine } from '../../machines/connection.machine.js';
import { machineTransitions } from '../../src/diagrams/machine-graph.js';
import { renderLevelDiagram } from '../../src/diagrams/mermaid.js';
import { createFlatConnectionMachine } from '../support/oracle/flat-connection.machine.js';
import { countArrows, labelOverlaps, mermaidBlocks, prepareMermaidPage, renderAndMeasure } from '../support/mermaid-browser.js';

const CHROMIUM = '/usr/bin/chromium';
const MIN_NAME_PX = 10;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: run "apt-get update && apt-get install -y chromium" (as root)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--disable-gpu', '--disable-quic'] });
  page = await browser.newPage();
  await prepareMermaidPage(page);
  mkdirSync('test-results', { recursive: true });
}, 30_000);
afterAll(async () => {
  await browser?.close();
});

const doc = readFileSync(new URL('../../docs/state-machine.md', import.meta.url), 'utf8');
const blocks = mermaidBlocks(doc);

describe('docs/state-machine.md in a 900 px column', () => {
  it('has an overview and one diagram per compound state', () => {
    expect(blocks.map((b) => b.heading)).toEqual([
      'The lifecycle at a glance',
      'Inside `link` (`running.link`)',
      'Inside `open` (`running.link.open`)',
      'Inside `serving` (`running.link.open.serving`)',
      'Inside `goingIdle` (`running.link.open.goingIdle`)',
    ]);
  });

  it.each(blocks.map((block, i) => [block.heading, block, i] as const))('%s: names at least 10 px, no label overlaps', async (heading, block, i) => {
    const measure = await renderAndMeasure(page, block.source);
    const file = `test-results/state-machine-${i}.png`;
    await page.locator('#column svg').screenshot({ path: file });
    const smallest = Math.min(...measure.stateNames.map((name) => name.fontPx));
    console.log(
      `${heading}: drawn ${Math.round(measure.naturalWidth)} x ${Math.round(measure.naturalHeight)} px, shown ${Math.round(measure.shownWidth)} x ${Math.round(measure.shownHeight)} px, ` +
        `smallest state name ${smallest.toFixed(1)} px, ${measure.edgeLabels.length} labels, ${countArrows(block.source)} arrows -> ${file}`,
    );
    expect(measure.shownWidth).toBeLessThanOrEqual(900);
    expect(measure.stateNames.length).toBeGreaterThan(2);
    for (const name of measure.stateNames) expect(name.fontPx, `state name "${name.text}"`).toBeGreaterThanOrEqual(MIN_NAME_PX);
    expect(labelOverlaps(measure)).toEqual([]);
  });

  // The budget of the whole chart was 30 transitions; scale-to-zero (dormant, held, the drain of a
  // stop) added 14, so it is 45 now. The overview's budget is unchanged: it draws 16 arrows.
  it('the overview draws at most 30 arrows, and the machine has at most 45 transitions that do something', () => {
    expect(countArrows(blocks[0]!.source)).toBeLessThanOrEqual(30);
    const doing = machineTransitions(connectionMachine).length;
    expect(doing).toBeLessThanOrEqual(45);
  });

  it('the checks can fail: the flat machine drawn in one diagram is too small to read and its labels collide', async () => {
    const flat = renderLevelDiagram(createFlatConnectionMachine(), { open: ['serving', 'goingIdle'], direction: 'TB' });
    const measure = await renderAndMeasure(page, flat);
    await page.locator('#column svg').screenshot({ path: 'test-results/state-machine-flat.png' });
    const smallest = Math.min(...measure.stateNames.map((name) => name.fontPx));
    console.log(`flat machine for comparison: drawn ${Math.round(measure.naturalWidth)} x ${Math.round(measure.naturalHeight)} px, smallest name ${smallest.toFixed(1)} px, ${labelOverlaps(measure).length} overlaps, ${countArrows(flat)} arrows`);
    expect(smallest < MIN_NAME_PX || labelOverlaps(measure).length > 0).toBe(true);
  });
});
