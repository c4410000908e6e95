import { describe, expect, it } from '@jest/globals';
import { DestinationPolicy } from '../../src/net/destinations.js';

// Rule: one outbound guard (gateway upstreams, identity's IdP fetches) refuses link-local and
// cloud metadata addresses in every way they can be written. Each form below is a URL host
// as an admin could type it; the URL parser's normalisation is part of what is tested.
const METADATA_FORMS = [
  '169.254.169.254',
  '[::ffff:169.254.169.254]',
  '[::ffff:a9fe:a9fe]',
  '[::a9fe:a9fe]',
  '[64:ff9b::169.254.169.254]',
  '[64:ff9b::a9fe:a9fe]',
  '[64:ff9b:1::a9fe:a9fe]',
  '[fd00:ec2::254]',
  '[fe80::1]',
  '2852039166', // decimal
  '0xa9fea9fe', // hex
  '0251.0376.0251.0376', // octal
  '0xa9.0xfe.0xa9.0xfe',
  '169.254.43518',
  'metadata.google.internal',
  'metadata.google.internal.',
  'METADATA.GOOGLE.INTERNAL.',
  '0.0.0.0',
  '[::]',
  '224.0.0.1',
  '[ff02::1]',
];
const LOOPBACK_FORMS = ['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', '[64:ff9b::7f00:1]', '2130706433'];
const PUBLIC_FORMS = [
  'idp.example.com',
  '93.184.216.34',
  '[2606:2800:220:1:248:1893:25c8:1946]',
  '[64:ff9b::5db8:d822]',
];

const host = (form: string) => new URL(`https://${form}/x`).hostname;

describe('outbound-destination guard', () => {
  const strict = new DestinationPolicy({ allowlist: [], allowLoopback: false });
  const withLoopback = new DestinationPolicy({ allowlist: [], allowLoopback: true });

  it.each(METADATA_FORMS)('refuses %s, also where loopback is allowed', (form) => {
    expect(strict.hostVerdict(host(form))).toBe('refused');
    expect(withLoopback.hostVerdict(host(form))).toBe('refused');
  });

  it.each(LOOPBACK_FORMS)('refuses loopback %s unless loopback is allowed', (form) => {
    expect(strict.hostVerdict(host(form))).toBe('refused');
    expect(withLoopback.hostVerdict(host(form))).toBe('allowed');
  });

  it.each(PUBLIC_FORMS)('allows the public destination %s', (form) => {
    expect(strict.hostVerdict(host(form))).toBe('allowed');
  });

  it('checks resolved addresses the same way (the dialled address)', () => {
    for (const address of [
      '169.254.169.254',
      '::ffff:169.254.169.254',
      '::a9fe:a9fe',
      '64:ff9b::a9fe:a9fe',
      'fe80::1',
    ]) {
      expect(withLoopback.addressAllowed(address)).toBe(false);
    }
    expect(strict.addressAllowed('93.184.216.34')).toBe(true);
  });
});
