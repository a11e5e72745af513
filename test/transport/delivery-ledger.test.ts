import { describe, expect, it } from 'vitest';
import { DeliveryLedger } from '../../src/transport/delivery-ledger.js';

describe('DeliveryLedger', () => {
  it('finds an entry by either of its keys', () => {
    const ledger = new DeliveryLedger();
    const entry = ledger.begin('1', 'telegram:c:5');
    expect(ledger.find(undefined, 'telegram:c:5')).toBe(entry);
    expect(ledger.find('1', undefined)).toBe(entry);
    expect(ledger.find('2', 'telegram:c:5')).toBe(entry);
    expect(ledger.find('3', 'telegram:c:6')).toBeUndefined();
  });

  it('keeps buffer ids and message keys apart (the same text in both is two keys)', () => {
    const ledger = new DeliveryLedger();
    const entry = ledger.begin('x', undefined);
    expect(ledger.find(undefined, 'x')).toBeUndefined();
    expect(ledger.find('x', undefined)).toBe(entry);
  });

  it('forgets a failed delivery so a redelivery runs again', () => {
    const ledger = new DeliveryLedger();
    const entry = ledger.begin('1', 'telegram:c:5');
    ledger.forget(entry);
    expect(ledger.find('1', 'telegram:c:5')).toBeUndefined();
    expect(ledger.size).toBe(0);
    expect(ledger.pending).toBe(0);
  });

  it('does not forget a newer entry that took over a key', () => {
    const ledger = new DeliveryLedger();
    const old = ledger.begin('1', undefined);
    const newer = ledger.begin('1', undefined);
    ledger.forget(old);
    expect(ledger.find('1', undefined)).toBe(newer);
  });

  it('never evicts an outstanding delivery, however many there are', () => {
    const ledger = new DeliveryLedger(8);
    const entries = Array.from({ length: 25_000 }, (_, i) => ledger.begin(`b${i}`, `telegram:c:${i}`));
    expect(ledger.pending).toBe(25_000);
    for (let i = 0; i < 25_000; i += 997) expect(ledger.find(`b${i}`, undefined)).toBe(entries[i]);
    // Completing them all keeps only the window (plus at most an eighth of slack) of the newest.
    for (const entry of entries) ledger.complete(entry);
    expect(ledger.pending).toBe(0);
    expect(ledger.find('b0', 'telegram:c:0')).toBeUndefined();
    expect(ledger.find('b24999', undefined)?.status).toBe('done');
    expect(ledger.size).toBeLessThanOrEqual(2 * 9);
  });

  it('completed deliveries are evicted oldest first, in batches of an eighth of the window', () => {
    const ledger = new DeliveryLedger(16);
    const entries = Array.from({ length: 19 }, (_, i) => ledger.begin(undefined, `m${i}`));
    for (const entry of entries.slice(0, 18)) ledger.complete(entry);
    expect(ledger.size).toBe(19);
    ledger.complete(entries[18]!);
    expect(ledger.size).toBe(16);
    for (const gone of ['m0', 'm1', 'm2']) expect(ledger.find(undefined, gone)).toBeUndefined();
    expect(ledger.find(undefined, 'm3')).toBeDefined();
    expect(ledger.find(undefined, 'm18')).toBeDefined();
  });

  it('a pending delivery between completed ones survives their eviction', () => {
    const ledger = new DeliveryLedger(2);
    const slow = ledger.begin('slow', undefined);
    for (let i = 0; i < 10; i++) ledger.complete(ledger.begin(`fast${i}`, undefined));
    expect(ledger.find('slow', undefined)).toBe(slow);
    expect(ledger.find('fast0', undefined)).toBeUndefined();
    ledger.complete(slow);
    expect(ledger.find('slow', undefined)?.status).toBe('done');
  });
});
