/**
 * A tap on one gateway's socket for debugging tools (the visualizer's frames lane): every frame in
 * and out, pings, pongs, opens and closes. Off unless someone listens, and then the socket pays one
 * property read per frame; lines are only parsed again by the listener, never on the data plane.
 *
 * What passes through here is raw: message text, webhook bodies and headers included. Listeners
 * that show it to a person must summarise (the frames lane shows sizes, ids and codes only, and
 * text only when asked). Tokens never pass: they travel in the upgrade request's headers, which the
 * tap does not see.
 * @module
 */
import type { ConnectorFrame } from '../protocol/frames.js';

/** One happening on the socket. */
export type FrameTapEvent =
  /** A line the gateway wrote (hello, outbound, inbound_ack, going_idle, passthrough replies, ...). */
  | { readonly direction: 'out'; readonly kind: 'line'; readonly line: string }
  /** A frame the connector sent, after validation, with its line's length in bytes. */
  | { readonly direction: 'in'; readonly kind: 'frame'; readonly frame: ConnectorFrame; readonly size: number }
  /** The upgrade was accepted. */
  | { readonly direction: 'in'; readonly kind: 'open' }
  /** A WebSocket ping the gateway sent, or the connector's pong. */
  | { readonly direction: 'out'; readonly kind: 'ping' }
  | { readonly direction: 'in'; readonly kind: 'pong' }
  /** The socket closed, with the close code and reason as the gateway saw them. */
  | { readonly direction: 'in'; readonly kind: 'close'; readonly code: number; readonly reason: string };

/** Listener of a {@link FrameTap}. Must not throw and must return quickly (it runs on the reader). */
export type FrameTapListener = (event: FrameTapEvent) => void;

/** The tap itself: a slot the socket reads per frame, and the set of listeners behind it. */
export class FrameTap {
  /** What the socket calls, or null when nobody listens (the socket then skips the tap). */
  emit: FrameTapListener | null = null;
  readonly #listeners = new Set<FrameTapListener>();

  /** Add a listener; returns a function that removes it (idempotent). */
  listen(listener: FrameTapListener): () => void {
    this.#listeners.add(listener);
    this.#refresh();
    return () => {
      this.#listeners.delete(listener);
      this.#refresh();
    };
  }

  #refresh(): void {
    const listeners = [...this.#listeners];
    this.emit =
      listeners.length === 0
        ? null
        : (event) => {
            for (const listener of listeners) {
              try {
                listener(event);
              } catch {
                // A debugging tool's bug must never break the reader.
              }
            }
          };
  }
}
