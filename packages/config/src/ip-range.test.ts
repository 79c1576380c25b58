import { describe, expect, it } from 'vitest';
import { ipBytes, parseIpRange, rangeContains } from './ip-range.js';

const bytes = (text: string) => [...(ipBytes(text) ?? [])];

describe('ipBytes', () => {
  it('reads IPv4 and IPv6 addresses, with brackets or a zone', () => {
    expect(bytes('169.254.169.254')).toEqual([169, 254, 169, 254]);
    expect(bytes('::1')).toEqual([...new Array(15).fill(0), 1]);
    expect(bytes('[fe80::1%eth0]')).toEqual([0xfe, 0x80, ...new Array(13).fill(0), 1]);
    expect(bytes('fd00:ec2::254')).toEqual([0xfd, 0, 0x0e, 0xc2, ...new Array(10).fill(0), 0x02, 0x54]);
    expect(bytes('1:2:3:4:5:6:7:8')).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
  });

  it('reads every spelling of an IPv4-mapped or NAT64 address as the IPv4 address', () => {
    for (const spelling of ['::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '0:0:0:0:0:ffff:a9fe:a9fe', '[::FFFF:A9FE:A9FE]', '64:ff9b::169.254.169.254', '64:ff9b::a9fe:a9fe']) {
      expect(bytes(spelling), spelling).toEqual([169, 254, 169, 254]);
    }
  });

  it('is undefined for what is not an address', () => {
    for (const text of ['', 'localhost', '1.2.3', '256.1.1.1', '::g', '1::2::3', '01.2.3.4']) expect(ipBytes(text), text).toBeUndefined();
  });
});

describe('parseIpRange', () => {
  it('reads CIDRs and single addresses', () => {
    const ten = parseIpRange('10.0.0.0/8')!;
    expect(rangeContains(ten, ipBytes('10.255.1.2')!)).toBe(true);
    expect(rangeContains(ten, ipBytes('11.0.0.1')!)).toBe(false);
    const twelve = parseIpRange('172.16.0.0/12')!;
    expect(rangeContains(twelve, ipBytes('172.31.255.255')!)).toBe(true);
    expect(rangeContains(twelve, ipBytes('172.32.0.0')!)).toBe(false);
    const one = parseIpRange('192.0.2.7')!;
    expect(one.prefix).toBe(32);
    expect(rangeContains(one, ipBytes('192.0.2.7')!)).toBe(true);
    expect(rangeContains(one, ipBytes('192.0.2.8')!)).toBe(false);
    expect(rangeContains(parseIpRange('fe80::/10')!, ipBytes('febf::1')!)).toBe(true);
    expect(rangeContains(parseIpRange('fe80::/10')!, ipBytes('fec0::1')!)).toBe(false);
    expect(rangeContains(parseIpRange('0.0.0.0/0')!, ipBytes('8.8.8.8')!)).toBe(true);
  });

  it('keeps an IPv4-mapped range as the IPv4 range it names', () => {
    expect(parseIpRange('::ffff:10.0.0.0/104')).toEqual(parseIpRange('10.0.0.0/8'));
  });

  it('never puts an IPv4 address in an IPv6 range', () => {
    expect(rangeContains(parseIpRange('::/0')!, ipBytes('10.0.0.1')!)).toBe(false);
  });

  it('is undefined for a bad prefix or address', () => {
    for (const text of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', 'fe80::/129', 'host/8', '10.0.0.0/8/8', '::ffff:10.0.0.0/95']) {
      expect(parseIpRange(text), text).toBeUndefined();
    }
  });
});
