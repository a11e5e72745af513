/**
 * The gateway registry: named gateways for one visualizer, in the order added, with change
 * notifications. The gateways are real but never started (nothing dials before start()).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { createRelayGateway, type RelayGateway } from '../../src/gateway/create-relay-gateway.js';
import { createGatewayRegistry, isGatewayRegistry } from '../../src/visualizer/gateway-registry.js';

const created: RelayGateway[] = [];
afterEach(async () => {
  for (const gateway of created.splice(0)) await gateway.stop();
});

function gateway(): RelayGateway {
  const gw = createRelayGateway({ url: 'ws://127.0.0.1:9' });
  created.push(gw);
  return gw;
}

/** The InvalidArgumentError `fn` throws. */
function argumentError(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError, nothing was thrown');
}

describe('createGatewayRegistry', () => {
  it('names gateways gateway-1, gateway-2, ... in the order added', () => {
    const registry = createGatewayRegistry();
    const [a, b] = [gateway(), gateway()];
    registry.add(a);
    registry.add(b);
    expect(registry.list()).toEqual([
      { name: 'gateway-1', gateway: a },
      { name: 'gateway-2', gateway: b },
    ]);
    expect(registry.list()[0]!.gateway).toBe(a);
    expect(registry.list()[1]!.gateway).toBe(b);
    expect(a.state).toBe('idle');
  });

  it('keeps custom names, and numbers the unnamed ones in order', () => {
    const registry = createGatewayRegistry();
    const [a, b, c] = [gateway(), gateway(), gateway()];
    registry.add(a, { name: 'telegram' });
    registry.add(b);
    registry.add(c, { name: 'discord' });
    expect(registry.list().map((entry) => entry.name)).toEqual(['telegram', 'gateway-1', 'discord']);
  });

  it('refuses a duplicate name with ERR_INVALID_ARGUMENT naming "name", and keeps the list as it was', () => {
    const registry = createGatewayRegistry();
    const [a, b] = [gateway(), gateway()];
    registry.add(a, { name: 'main' });
    const error = argumentError(() => registry.add(b, { name: 'main' }));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.argument).toBe('name');
    expect(error.message).toContain('"main"');
    expect(registry.list()).toEqual([{ name: 'main', gateway: a }]);
  });

  it('a default name never collides with a name the application chose', () => {
    const registry = createGatewayRegistry();
    registry.add(gateway(), { name: 'gateway-2' });
    registry.add(gateway());
    // The third add's counter is 2, but "gateway-2" is taken: it must pick a free name, not throw.
    expect(() => registry.add(gateway())).not.toThrow();
    const names = registry.list().map((entry) => entry.name);
    expect(names).toHaveLength(3);
    expect(new Set(names).size).toBe(3);
    for (const name of names) expect(name).toMatch(/^gateway-\d+$/);
  });

  it('refuses an empty name and something that is not a gateway', () => {
    const registry = createGatewayRegistry();
    expect(argumentError(() => registry.add(gateway(), { name: '  ' })).argument).toBe('name');
    expect(argumentError(() => registry.add({} as RelayGateway)).argument).toBe('gateway');
    expect(registry.list()).toEqual([]);
  });

  it('the remove function takes the gateway out once; calling it again does nothing', () => {
    const registry = createGatewayRegistry();
    const [a, b] = [gateway(), gateway()];
    const removeA = registry.add(a);
    registry.add(b);
    removeA();
    expect(registry.list()).toEqual([{ name: 'gateway-2', gateway: b }]);
    removeA();
    expect(registry.list()).toEqual([{ name: 'gateway-2', gateway: b }]);
    // The freed name can be used again.
    registry.add(a, { name: 'gateway-1' });
    expect(registry.list().map((entry) => entry.name)).toEqual(['gateway-2', 'gateway-1']);
  });

  it('list() is a copy: changing it does not change the registry', () => {
    const registry = createGatewayRegistry([gateway()]);
    const list = registry.list() as unknown[];
    list.length = 0;
    expect(registry.list()).toHaveLength(1);
  });

  it('onChange is called after every add and every effective remove, until unsubscribed', () => {
    const registry = createGatewayRegistry();
    let changes = 0;
    const seenSizes: number[] = [];
    const unsubscribe = registry.onChange(() => {
      changes++;
      seenSizes.push(registry.list().length);
    });
    const removeA = registry.add(gateway());
    const removeB = registry.add(gateway());
    expect(changes).toBe(2);
    removeA();
    expect(changes).toBe(3);
    removeA();
    expect(changes).toBe(3);
    expect(seenSizes).toEqual([1, 2, 1]);
    unsubscribe();
    registry.add(gateway());
    removeB();
    expect(changes).toBe(3);
    unsubscribe();
  });

  it('a refused add does not notify', () => {
    const registry = createGatewayRegistry();
    registry.add(gateway(), { name: 'x' });
    let changes = 0;
    registry.onChange(() => changes++);
    expect(() => registry.add(gateway(), { name: 'x' })).toThrow(InvalidArgumentError);
    expect(changes).toBe(0);
  });

  it('takes an initial list of gateways and {name, gateway} entries', () => {
    const [a, b, c] = [gateway(), gateway(), gateway()];
    const registry = createGatewayRegistry([a, { name: 'second', gateway: b }, c]);
    expect(registry.list()).toEqual([
      { name: 'gateway-1', gateway: a },
      { name: 'second', gateway: b },
      { name: 'gateway-2', gateway: c },
    ]);
  });

  it('refuses duplicate names in the initial list', () => {
    const [a, b] = [gateway(), gateway()];
    const error = argumentError(() => createGatewayRegistry([{ name: 'dup', gateway: a }, { name: 'dup', gateway: b }]));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.argument).toBe('name');
  });
});

describe('isGatewayRegistry', () => {
  it('is true for a registry and false for a gateway, a list and other values', () => {
    const gw = gateway();
    expect(isGatewayRegistry(createGatewayRegistry())).toBe(true);
    expect(isGatewayRegistry(createGatewayRegistry([gw]))).toBe(true);
    expect(isGatewayRegistry(gw)).toBe(false);
    expect(isGatewayRegistry([gw])).toBe(false);
    expect(isGatewayRegistry([])).toBe(false);
    expect(isGatewayRegistry(null)).toBe(false);
    expect(isGatewayRegistry(undefined)).toBe(false);
    expect(isGatewayRegistry({ add: () => undefined })).toBe(false);
  });
});
