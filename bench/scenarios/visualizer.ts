/**
 * What the live visualizer costs a gateway: `serveVisualizer(gateway)` attached and one page's
 * Server-Sent Events stream open and read, so the timeline feed, the frames lane and batching all
 * run while the throughput scenarios measure. The page here is a plain `http.get` that splits the
 * stream into lines and counts what arrives (a browser would do far more, in another process).
 */
import { get, type ClientRequest } from 'node:http';
import { visualizerLibrary } from '../library.js';
import { lineSplitter } from '../line-splitter.js';
import type { Attach } from './throughput.js';

const { serveVisualizer } = visualizerLibrary;

/** What the pages received, summed over every attachment of a run. */
export interface PageTraffic {
  /** Event streams opened (one per measurement with the visualizer attached). */
  streams: number;
  bytes: number;
  /** `batch` events received. */
  batches: number;
  /** Of those, batches that carried frames-lane records. */
  batchesWithFrames: number;
  /** Frames cut from batches under load (the source counts them, the page is told). */
  framesDropped: number;
}

export function newPageTraffic(): PageTraffic {
  return { streams: 0, bytes: 0, batches: 0, batchesWithFrames: 0, framesDropped: 0 };
}

const DROPPED = /"dropped":\{"entries":\d+,"frames":(\d+)\}/u;

/** One page's event stream, read to the end; counts into `traffic`. */
function openEventStream(url: string, traffic: PageTraffic): Promise<{ request: ClientRequest; seen: () => number }> {
  let withFrames = 0;
  return new Promise((resolve, reject) => {
    let event = '';
    const onLine = (line: string): void => {
      if (line.startsWith('event: ')) event = line.slice('event: '.length);
      else if (line.startsWith('data: ') && event === 'batch') {
        traffic.batches++;
        if (line.includes('"frames":[{')) {
          traffic.batchesWithFrames++;
          withFrames++;
        }
        const dropped = DROPPED.exec(line.slice(line.lastIndexOf('"dropped":')));
        if (dropped) traffic.framesDropped += Number(dropped[1]);
      }
    };
    const split = lineSplitter(onLine);
    // No keep-alive agent: the stream's socket is the request's own and goes when it is destroyed.
    const request = get(url, { agent: false }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`bench: visualizer event stream answered ${response.statusCode}`));
        return;
      }
      response.on('data', (chunk: Buffer) => {
        traffic.bytes += chunk.length;
        split(chunk);
      });
      response.on('error', () => undefined); // the stream is torn down at close
      resolve({ request, seen: () => withFrames });
    });
    request.on('error', reject);
  });
}

/** Resolve once `check()` holds; throw after `ms`. */
async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`bench: ${what} within ${ms} ms`);
    await new Promise<void>((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Attach `serveVisualizer` (default options) to the gateway and open one page's event stream on it.
 * The detach waits for a batch with frames to have reached the page (at most one batch interval
 * after the measurement), then closes the stream and the visualizer's server.
 */
export function visualizerWithPage(traffic: PageTraffic): Attach {
  return async (gateway) => {
    const visualizer = await serveVisualizer(gateway);
    let page: Awaited<ReturnType<typeof openEventStream>>;
    try {
      page = await openEventStream(`${visualizer.url.replace(/#.*/u, '')}events`, traffic);
    } catch (error) {
      await visualizer.close();
      throw error;
    }
    traffic.streams++;
    return async () => {
      try {
        await waitFor(() => page.seen() > 0, 5_000, 'the visualizer page got no batch with frames');
      } finally {
        page.request.destroy();
        await visualizer.close();
      }
    };
  };
}
