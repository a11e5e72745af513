/**
 * Self-disposing fixtures for integration tests: a dev connector on 127.0.0.1:0 and transports
 * connected to it. Everything created through these helpers is torn down after each test.
 */
import { afterEach } from 'vitest';
import { startDevConnector, type DevConnector, type DevConnectorOptions } from '../../src/dev-connector/dev-connector.js';
import {
  createRelayConnection,
  type Delivery,
  type RelayConnection,
  type RelayConnectionOptions,
  type StateChange,
} from '../../src/transport/relay-connection.js';
import type { ConnectionStateName } from '../../machines/connection.types.js';
import type { MessageEvent } from '../../src/protocol/inbound-event.js';
import type { PassthroughForward } from '../../src/protocol/passthrough.js';
import { buildSessionKey } from '../../src/session/session-key.js';
import { createRelayGateway, type RelayGateway } from '../../src/gateway/create-relay-gateway.js';
import type { RelayGatewayOptions } from '../../src/gateway/gateway-options.js';

const disposers: Array<() => Promise<void>> = [];

afterEach(async () => {
  const pending = disposers.splice(0).reverse();
  for (const dispose of pending) await dispose();
});

/** Start a dev connector that closes itself after the test. */
export async function useConnector(options: DevConnectorOptions = {}): Promise<DevConnector> {
  const connector = await startDevConnector(options);
  disposers.push(() => connector.close());
  return connector;
}

/** What a test gateway's handler saw. */
export interface Handled {
  readonly kind: 'inbound' | 'passthrough';
  readonly sessionKey: string;
  readonly bufferId: string | undefined;
  readonly event?: MessageEvent;
  readonly forward?: PassthroughForward;
}

/** A transport plus what its handler received. */
export interface TestGateway {
  readonly connection: RelayConnection;
  readonly handled: Handled[];
  readonly states: ConnectionStateName[];
  readonly changes: StateChange[];
  /** Resolves when the handler has been called `n` times in total. */
  handledCount(n: number, timeoutMs?: number): Promise<Handled[]>;
  /** Resolves at the next (or current) entry into `state`. */
  reach(state: ConnectionStateName, timeoutMs?: number): Promise<StateChange>;
}

/** Handler behaviour for a test gateway. Return or throw as the test needs. */
export type TestHandler = (handled: Handled, signal: AbortSignal) => Promise<void> | void;

/** Options of {@link useGateway}: transport options minus the router, plus a handler. */
export type TestGatewayOptions = Partial<Omit<RelayConnectionOptions, 'router'>> & { readonly handler?: TestHandler };

/** Create a transport against `connector` that stops itself after the test (not started). */
export function useGateway(connector: DevConnector, options: TestGatewayOptions = {}): TestGateway {
  const handled: Handled[] = [];
  const states: ConnectionStateName[] = [];
  const changes: StateChange[] = [];
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  const handler = options.handler;
  const delivery = (record: Handled, messageKey?: string): Delivery => ({
    sessionKey: record.sessionKey,
    ...(messageKey ? { messageKey } : {}),
    run: async (abort) => {
      if (handler) await handler(record, abort.signal);
      handled.push(record);
      notify();
    },
  });
  const connection = createRelayConnection({
    url: connector.url,
    random: () => 1,
    ...options,
    router: {
      inbound: (frame) => {
        const event = frame.event;
        const sessionKey = buildSessionKey(event.source);
        const messageKey = event.message_id ? `${event.source.platform}:${event.source.chat_id}:${event.message_id}` : undefined;
        return delivery({ kind: 'inbound', sessionKey, bufferId: frame.bufferId, event }, messageKey);
      },
      passthrough: (frame) => delivery({ kind: 'passthrough', sessionKey: `passthrough:${frame.forward.platform}`, bufferId: frame.bufferId, forward: frame.forward }),
    },
  });
  connection.onStateChange((change) => {
    states.push(change.state);
    changes.push(change);
    notify();
  });
  disposers.push(() => connection.stop());

  const waitUntil = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const attempt = (): void => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        waiters.delete(attempt);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.delete(attempt);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (states: ${states.join(' > ')})`));
      }, timeoutMs);
      waiters.add(attempt);
      attempt();
    });

  return {
    connection,
    handled,
    states,
    changes,
    handledCount: (n, timeoutMs = 5000) => waitUntil(() => (handled.length >= n ? handled : undefined), timeoutMs, `${n} handled`),
    reach: (state, timeoutMs = 5000) => {
      const from = changes.length;
      return waitUntil(
        () => changes.slice(from).find((c) => c.state === state) ?? (connection.state === state && changes.length === from ? changes.at(-1) ?? ({ state } as StateChange) : undefined),
        timeoutMs,
        `state ${state}`,
      );
    },
  };
}

/** A relay gateway (public API) that stops itself after the test; backoff is fast and unjittered. */
export function useRelayGateway(options: RelayGatewayOptions): RelayGateway {
  const gw = createRelayGateway({ random: () => 1, reconnect: { baseMs: 20, capMs: 100 }, ...options });
  disposers.push(() => gw.stop());
  return gw;
}
