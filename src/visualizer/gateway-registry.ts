/**
 * A named set of gateways for one visualizer: an application with several gateways in one process
 * registers them here (or hands `serveVisualizer` a list) and the page switches between them.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import type { RelayGateway } from '../gateway/create-relay-gateway.js';

/** A gateway with the name the page shows. */
export interface NamedGateway {
  readonly name: string;
  readonly gateway: RelayGateway;
}

/** Gateways the visualizer shows; it follows additions and removals while it runs. */
export interface GatewayRegistry {
  /**
   * Add a gateway. Returns a function that removes it again (idempotent).
   * @throws {InvalidArgumentError} when the name is empty or already taken.
   */
  add(gateway: RelayGateway, options?: { readonly name?: string }): () => void;
  /** The gateways now, in the order they were added. */
  list(): readonly NamedGateway[];
  /** Be told after every add and remove. Returns a function that stops it. */
  onChange(listener: () => void): () => void;
}

/** Create a registry, optionally with gateways already in it (unnamed ones become `gateway-1`, `gateway-2`, ..., skipping names already taken). */
export function createGatewayRegistry(initial: ReadonlyArray<RelayGateway | NamedGateway> = []): GatewayRegistry {
  const entries: NamedGateway[] = [];
  const listeners = new Set<() => void>();
  let counter = 0; // default names handed out so far
  const registry: GatewayRegistry = {
    add(gateway, options = {}) {
      if (typeof gateway !== 'object' || gateway === null || typeof gateway.inspect !== 'function') {
        throw new InvalidArgumentError('gateway', 'expected a gateway made by createRelayGateway');
      }
      const taken = (candidate: string): boolean => entries.some((entry) => entry.name === candidate);
      let name = options.name;
      if (name === undefined) {
        // The next free default name: never one the application chose itself.
        do name = `gateway-${++counter}`;
        while (taken(name));
      }
      if (typeof name !== 'string' || name.trim() === '') throw new InvalidArgumentError('name', `expected a non-empty string, received ${JSON.stringify(name)}`);
      if (taken(name)) throw new InvalidArgumentError('name', `a gateway named ${JSON.stringify(name)} is already registered`);
      const entry = { name, gateway };
      entries.push(entry);
      for (const listener of [...listeners]) listener();
      return () => {
        const index = entries.indexOf(entry);
        if (index === -1) return;
        entries.splice(index, 1);
        for (const listener of [...listeners]) listener();
      };
    },
    list: () => [...entries],
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
  for (const item of initial) {
    if ('gateway' in item && 'name' in item) registry.add(item.gateway, { name: item.name });
    else registry.add(item);
  }
  return registry;
}

/** Whether `value` is a registry (rather than a gateway or a list). */
export function isGatewayRegistry(value: unknown): value is GatewayRegistry {
  return typeof value === 'object' && value !== null && typeof (value as GatewayRegistry).add === 'function' && typeof (value as GatewayRegistry).onChange === 'function';
}
