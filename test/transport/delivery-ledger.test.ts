import { describe, expect, it } from 'vitest';
import { DeliveryLedger } from '../../src/transport/delivery-ledger.js';

describe('DeliveryLedger', () => {
  it('finds an entry by any of its keys', () => {
    const ledger = new DeliveryLedger();
    const entry = ledger.begin(['b:1', 'm:telegram:c:5']);
    expect(ledger.find(['m:telegram:c:5'])).toBe(entry);
    expect(ledger.find(['b:2', 'b:1'])).toBe(entry);
    expect(ledger.find(['b:3'])).toBeUndefined();
  });

  it('forgets a failed delivery so a redelivery runs again', () => {
    const ledger = new DeliveryLedger();
    const entry = ledger.begin(['b:1']);
    ledger.forget(['b:1'], entry);
    expect(ledger.find(['b:1'])).toBeUndefined();
  });

  it('is bounded: the oldest keys are evicted first', () => {
    const ledger = new DeliveryLedger(3);
    for (let i = 0; i < 5; i++) ledger.begin([`b:${i}`]);
    expect(ledger.size).toBe(3);
    expect(ledger.find(['b:0'])).toBeUndefined();
    expect(ledger.find(['b:1'])).toBeUndefined();
    expect(ledger.find(['b:4'])).toBeDefined();
  });
});
