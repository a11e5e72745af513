/**
 * Renders Mermaid diagrams the way a reader sees them: mermaid.min.js (the package's own
 * self-contained build, no network) in Debian's headless Chromium, each diagram in a column 900 px
 * wide (GitHub's Markdown column), and measures what is on screen: the drawing's size, the height of
 * every state name, and which labels overlap each other or a state box.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** A box on screen, in CSS pixels. */
export interface ScreenBox {
  readonly text: string;
  /** `state`, `compound` (a compound state's name), `choice`, `title` (a compound state's title bar), `edge`. */
  readonly kind: string;
  /** Font size of its text on screen (the drawing's size times the column's scale). */
  readonly fontPx: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** What one rendered diagram looks like on screen. */
export interface DiagramMeasure {
  /** The drawing's own size (before the column scales it down). */
  readonly naturalWidth: number;
  readonly naturalHeight: number;
  /** Its size on screen in the column. */
  readonly shownWidth: number;
  readonly shownHeight: number;
  /** Every state's name label (choice diamonds have none). */
  readonly stateNames: readonly ScreenBox[];
  /** What labels must keep clear of: atomic state boxes, choice diamonds, compound title bars. */
  readonly stateBoxes: readonly ScreenBox[];
  /** Every edge label. */
  readonly edgeLabels: readonly ScreenBox[];
}

const COLUMN_WIDTH = 900;

const require = createRequire(import.meta.url);
const MERMAID_JS = readFileSync(require.resolve('mermaid/dist/mermaid.min.js'), 'utf8');

/** Load a blank page with Mermaid and a 900 px column. */
export async function prepareMermaidPage(page: Page): Promise<void> {
  await page.setViewportSize({ width: COLUMN_WIDTH + 40, height: 900 });
  await page.setContent(`<!doctype html><html><body style="margin:20px;font-family:sans-serif"><div id="column" style="width:${COLUMN_WIDTH}px"></div></body></html>`);
  await page.addScriptTag({ content: MERMAID_JS });
  await page.evaluate(`window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' })`);
}

/**
 * The in-page measuring code, as source text: a function given to `page.evaluate` would be
 * transformed by the test runner (it adds helpers that do not exist in the page).
 */
const MEASURE_IN_PAGE = `async (text) => {
  const column = document.getElementById('column');
  const { svg } = await window.mermaid.render('d' + Date.now() + Math.floor(Math.random() * 1e6), text);
  column.innerHTML = svg;
  const element = column.querySelector('svg');
  const view = element.viewBox.baseVal;
  const shown = element.getBoundingClientRect();
  const scale = shown.width / view.width;
  function labelOf(node) { return (node.textContent || '').replace(/\\s+/g, ' ').trim(); }
  function box(node, label, kind) {
    const r = node.getBoundingClientRect();
    const text = node.querySelector('p') || node;
    const fontPx = parseFloat(getComputedStyle(text).fontSize) * scale;
    return { text: label, kind, x: r.x, y: r.y, width: r.width, height: r.height, fontPx };
  }
  const stateNames = [];
  const stateBoxes = [];
  for (const node of element.querySelectorAll('g.node')) {
    if (/_start-\\d+$|_end-\\d+$/.test(node.id || '')) continue;
    const name = node.querySelector('.nodeLabel');
    const shape = node.querySelector('rect.basic, rect.outer, g > path:last-child');
    if (shape) stateBoxes.push(box(shape, name ? labelOf(name) : 'choice', name ? 'state' : 'choice'));
    if (name && labelOf(name) !== '') stateNames.push(box(name, labelOf(name), 'state'));
  }
  for (const cluster of element.querySelectorAll('g.statediagram-cluster')) {
    const title = cluster.querySelector('.cluster-label .nodeLabel');
    if (!title) continue;
    stateNames.push(box(title, labelOf(title), 'compound'));
    // A compound state's box holds arrows and labels by design; what must stay clear is its title.
    stateBoxes.push(box(cluster.querySelector('.cluster-label'), labelOf(title), 'title'));
  }
  const edgeLabels = [];
  for (const label of element.querySelectorAll('g.edgeLabel span.edgeLabel')) {
    if (labelOf(label) === '') continue;
    edgeLabels.push(box(label, labelOf(label), 'edge'));
  }
  return { naturalWidth: view.width, naturalHeight: view.height, shownWidth: shown.width, shownHeight: shown.height, stateNames, stateBoxes, edgeLabels };
}`;

/** Render `source` into the column and measure it. */
export async function renderAndMeasure(page: Page, source: string): Promise<DiagramMeasure> {
  return page.evaluate<DiagramMeasure>(`(${MEASURE_IN_PAGE})(${JSON.stringify(source)})`);
}

/** Whether two boxes overlap by more than `slack` pixels in both directions. */
export function overlaps(a: ScreenBox, b: ScreenBox, slack = 0.5): boolean {
  return a.x + a.width - slack > b.x && b.x + b.width - slack > a.x && a.y + a.height - slack > b.y && b.y + b.height - slack > a.y;
}

/** Every pair of an edge label with another edge label or with a state box that overlap. */
export function labelOverlaps(measure: DiagramMeasure): Array<readonly [string, string]> {
  const pairs: Array<readonly [string, string]> = [];
  const labels = measure.edgeLabels;
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) if (overlaps(labels[i]!, labels[j]!)) pairs.push([labels[i]!.text, labels[j]!.text]);
    for (const state of measure.stateBoxes) if (overlaps(labels[i]!, state)) pairs.push([labels[i]!.text, `${state.kind} ${state.text}`]);
  }
  return pairs;
}

/** Arrows between states in a Mermaid state diagram's source (`[*]` markers left out). */
export function countArrows(source: string): number {
  return source.split('\n').filter((line) => line.includes('-->') && !line.includes('[*]')).length;
}

/** The Mermaid blocks of a Markdown text, with the heading above each. */
export function mermaidBlocks(markdown: string): Array<{ heading: string; source: string }> {
  const blocks: Array<{ heading: string; source: string }> = [];
  let heading = '';
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
    if (line.trim() === '```mermaid') {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i]!.trim() !== '```'; i++) body.push(lines[i]!);
      blocks.push({ heading, source: body.join('\n') });
    }
  }
  return blocks;
}
