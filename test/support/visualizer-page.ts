/**
 * Measures the visualizer page the way a person sees it: the diagram pane's box, the drawing's box,
 * every state box and name (with its font size on screen: the drawing's size times the zoom), every
 * arrow label and row, all in CSS pixels from `getBoundingClientRect`.
 */
import type { Page } from 'playwright-core';

/** A box on screen, in CSS pixels. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** One thing on screen with its text. */
export interface Shown extends Box {
  readonly id: string;
  /** Font size on screen (text only). */
  readonly fontPx: number;
}

/** What the page shows right now. */
export interface PageMeasure {
  /** The drawing area (inside the pane, above the step card). */
  readonly pane: Box;
  /** The whole drawing (the SVG viewport group). */
  readonly drawing: Box;
  /** Every state's outline, by state path, and whether it is active. */
  readonly states: ReadonlyArray<Shown & { readonly active: boolean; readonly leaf: boolean }>;
  readonly names: readonly Shown[];
  readonly labels: readonly Shown[];
  readonly rows: readonly Shown[];
  readonly viewport: { readonly width: number; readonly height: number };
}

/** Source text: a function given to `page.evaluate` would be rewritten by the test runner. */
const MEASURE = `(() => {
  const box = (r) => ({ x: r.x, y: r.y, width: r.width, height: r.height });
  const scale = (node) => { const m = node.getScreenCTM(); return m ? Math.hypot(m.a, m.b) : 1; };
  const font = (node) => Number(node.getAttribute('font-size')) * scale(node);
  const states = [...document.querySelectorAll('g.state')].map((g) => {
    const outline = g.querySelector(':scope > rect, :scope > path.diamond');
    return { id: g.dataset.state, fontPx: 0, active: g.classList.contains('active'), leaf: !g.classList.contains('compound'), ...box(outline.getBoundingClientRect()) };
  });
  const names = [...document.querySelectorAll('g.state > text.name')].map((t) => ({ id: t.textContent, fontPx: font(t), ...box(t.getBoundingClientRect()) }));
  const labels = [...document.querySelectorAll('g.edge')].map((g) => {
    const text = g.querySelector('text.label');
    return { id: g.dataset.source + ' -> ' + g.dataset.target, fontPx: text ? font(text) : 0, ...box(g.querySelector('rect.label-bg').getBoundingClientRect()) };
  });
  const rows = [...document.querySelectorAll('g.state > text.row')].map((t) => ({ id: t.textContent, fontPx: font(t), ...box(t.getBoundingClientRect()) }));
  return {
    pane: box(document.getElementById('diagram').getBoundingClientRect()),
    drawing: box(document.getElementById('viewport').getBoundingClientRect()),
    states, names, labels, rows,
    viewport: { width: window.innerWidth, height: window.innerHeight },
  };
})()`;

/** Measure the page. */
export function measurePage(page: Page): Promise<PageMeasure> {
  return page.evaluate<PageMeasure>(MEASURE);
}

/** Whether two boxes share area (touching edges do not count). */
export function overlap(a: Box, b: Box, tolerance = 0.5): boolean {
  return a.x + tolerance < b.x + b.width && b.x + tolerance < a.x + a.width && a.y + tolerance < b.y + b.height && b.y + tolerance < a.y + a.height;
}

/** Whether `inner` lies within `outer`. */
export function within(inner: Box, outer: Box, tolerance = 0.5): boolean {
  return inner.x >= outer.x - tolerance && inner.y >= outer.y - tolerance && inner.x + inner.width <= outer.x + outer.width + tolerance && inner.y + inner.height <= outer.y + outer.height + tolerance;
}

/** Every pair of overlapping texts: labels and rows among themselves, labels over names or leaf boxes. */
export function overlapsOf(measure: PageMeasure): string[] {
  const problems: string[] = [];
  const texts = [...measure.labels, ...measure.rows];
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) if (overlap(texts[i]!, texts[j]!)) problems.push(`${texts[i]!.id} / ${texts[j]!.id}`);
  }
  for (const label of measure.labels) {
    for (const name of measure.names) if (overlap(label, name)) problems.push(`${label.id} over the name ${name.id}`);
    for (const state of measure.states) if (state.leaf && overlap(label, state)) problems.push(`${label.id} over ${state.id}`);
  }
  return problems;
}
