import {
  decodePremiumChange,
  encodePremiumChange,
  type PremiumChange,
  premiumChangeOf,
} from '../../../shared/premium-change';
import type { PremiumRecord } from '../../../shared/premium-store';

const change: PremiumChange = {
  assetId: 'a'.repeat(64),
  transactionId: 'b'.repeat(64),
  height: 42,
  driverId: 'D-100234',
  driverPublicKey: '7q3Rx1aXaV3Lgq9B5Th4vzLZfnzrKyKWWDb1WASxm4tD',
  annualPremium: { amount: 1480.25, currency: 'EUR' },
  status: 'quoted',
  computedAt: '2025-07-01T08:00:00.000Z',
};

describe('premium-changes messages', () => {
  test('premiumChangeOf keeps exactly the announced fields of a premium record', () => {
    const record = {
      ...change,
      factors: {},
      relayedAt: '2025-07-01T07:59:59.000Z',
      notified: false,
    } as unknown as PremiumRecord;
    expect(premiumChangeOf(record)).toEqual(change);
  });

  test('encode writes base64 of the JSON, which decode reads back', () => {
    const text = encodePremiumChange(change);
    expect(JSON.parse(Buffer.from(text, 'base64').toString('utf8'))).toEqual(change);
    expect(decodePremiumChange(text)).toEqual(change);
  });

  test('decode names the first offending field of a message that is not a premium change', () => {
    const text = encodePremiumChange({ ...change, status: 'approved' } as unknown as PremiumChange);
    expect(() => decodePremiumChange(text)).toThrow(/^premium change \/status must be one of "quoted", "referred"$/);
  });

  test('decode refuses text that is not base64 of JSON', () => {
    expect(() => decodePremiumChange(Buffer.from('{oops').toString('base64'))).toThrow(
      /^premium change is not base64 of JSON$/,
    );
  });
});
