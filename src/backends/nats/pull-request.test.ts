import { describe, expect, it } from 'vitest';
import { deliveryInfo } from './pull-request.js';

describe('deliveryInfo', () => {
  it('reads the v1 reply subject: $JS.ACK.<stream>.<consumer>.<count>.<sseq>.<cseq>.<ts>.<pending>', () => {
    expect(deliveryInfo('$JS.ACK.ORDERS.g_bWFpbGVy.3.1017.55.1700000000000000000.12')).toEqual({
      deliveryCount: 3,
      seq: 1017,
      consumer: '$JS.ACK.ORDERS.g_bWFpbGVy',
    });
  });

  it('reads the v2 form, with a domain, an account hash and a trailing token', () => {
    expect(deliveryInfo('$JS.ACK.hub.ACCHASH.ORDERS.worker.1.42.7.1700000000000000000.0.x9')).toEqual({
      deliveryCount: 1,
      seq: 42,
      consumer: '$JS.ACK.hub.ACCHASH.ORDERS.worker',
    });
  });
});
