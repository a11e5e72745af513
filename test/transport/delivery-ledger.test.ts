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
    ledger.forget('1', 'telegram:c:5', entry);
    expect(ledger.find('1', 'telegram:c:5')).toBeUndefined();
    expect(ledger.size).toBe(0);
  });

  it('does not forget a newer entry that took over a key', () => {
    const ledger = new DeliveryLedger();
    const old = ledger.begin('1', undefined);
    const newer = ledger.begin('1', undefined);
    ledger.forget('1', undefined, old);
    expect(ledger.find('1', undefined)).toBe(newer);
  });

  it('is bounded per kind of key: the oldest are evicted first', () => {
    const ledger = new DeliveryLedger(3);
    for (let i = 0; i < 5; i++) ledger.begin(`${i}`, `m${i}`);
    expect(ledger.size).toBe(6);
    expect(ledger.find('0', 'm0')).toBeUndefined();
    expect(ledger.find('1', 'm1')).toBeUndefined();
    expect(ledger.find('4', undefined)).toBeDefined();
    expect(ledger.find(undefined, 'm2')).toBeDefined();
  });

  it('evicts in batches once it holds an eighth more than its capacity', () => {
    const ledger = new DeliveryLedger(16);
    for (let i = 0; i < 18; i++) ledger.begin(undefined, `m${i}`);
    expect(ledger.size).toBe(18);
    ledger.begin(undefined, 'm18');
    expect(ledger.size).toBe(16);
    for (const gone of ['m0', 'm1', 'm2']) expect(ledger.find(undefined, gone)).toBeUndefined();
    expect(ledger.find(undefined, 'm3')).toBeDefined();
    expect(ledger.find(undefined, 'm18')).toBeDefined();
  });
});
