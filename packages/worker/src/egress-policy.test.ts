import { describe, expect, it } from 'vitest';
import { EgressPolicy, EgressRefusedError } from './egress-policy.js';

const open = { deny: [], allow: [] };
const denyPrivate = { deny: ['private'], allow: [] };

function ruleOf(policy: EgressPolicy, address: string, host = address): string | undefined {
  return policy.refusal(host, address)?.rule;
}

describe('EgressPolicy', () => {
  it('always refuses link-local and cloud metadata addresses, in every IPv6 spelling', () => {
    const policy = new EgressPolicy(open);
    for (const address of ['169.254.169.254', '169.254.0.1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe']) {
      expect(ruleOf(policy, address), address).toBe('the always-refused 169.254.0.0/16');
    }
    expect(ruleOf(policy, 'fe80::1')).toBe('the always-refused fe80::/10');
    expect(ruleOf(policy, 'fd00:ec2::254')).toBe('the always-refused fd00:ec2::254');
  });

  it('lets private addresses through unless egress.deny says private', () => {
    const policy = new EgressPolicy(open);
    for (const address of ['127.0.0.1', '10.1.2.3', '192.168.1.1', '::1', 'fd12::1', '8.8.8.8']) expect(ruleOf(policy, address), address).toBeUndefined();
  });

  it('refuses loopback, RFC 1918, CGNAT, ULA and unspecified with egress.deny: private, naming the range', () => {
    const policy = new EgressPolicy(denyPrivate);
    const expected: Record<string, string> = {
      '127.0.0.1': 'egress.deny: private (127.0.0.0/8)',
      '::ffff:127.0.0.2': 'egress.deny: private (127.0.0.0/8)',
      '::1': 'egress.deny: private (::1)',
      '0.0.0.0': 'egress.deny: private (0.0.0.0/8)',
      '::': 'egress.deny: private (::)',
      '10.9.8.7': 'egress.deny: private (10.0.0.0/8)',
      '172.20.0.1': 'egress.deny: private (172.16.0.0/12)',
      '192.168.0.10': 'egress.deny: private (192.168.0.0/16)',
      '100.100.100.200': 'egress.deny: private (100.64.0.0/10)',
      'fd12:3456::1': 'egress.deny: private (fc00::/7)',
    };
    for (const [address, rule] of Object.entries(expected)) expect(ruleOf(policy, address), address).toBe(rule);
    for (const address of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:db8::1', '::ffff:8.8.8.8']) expect(ruleOf(policy, address), address).toBeUndefined();
  });

  it('refuses a CIDR of egress.deny', () => {
    expect(ruleOf(new EgressPolicy({ deny: ['198.51.100.0/24'], allow: [] }), '198.51.100.9')).toBe('egress.deny: 198.51.100.0/24');
  });

  it('makes exceptions for allowed CIDRs, hosts, *.domains and the endpoint\'s own entries', () => {
    const policy = new EgressPolicy({ deny: ['private'], allow: ['10.20.0.0/16', 'hooks.internal', '*.svc.cluster.local'] }, ['169.254.169.254']);
    expect(ruleOf(policy, '10.20.3.4', 'anything.example')).toBeUndefined();
    expect(ruleOf(policy, '10.21.3.4', 'anything.example')).toBe('egress.deny: private (10.0.0.0/8)');
    expect(ruleOf(policy, '10.9.9.9', 'HOOKS.internal.')).toBeUndefined();
    expect(ruleOf(policy, '10.9.9.9', 'audit.ns.svc.cluster.local')).toBeUndefined();
    expect(ruleOf(policy, '10.9.9.9', 'svc.cluster.local')).toBe('egress.deny: private (10.0.0.0/8)');
    expect(ruleOf(policy, '10.9.9.9', 'evilsvc.cluster.local')).toBe('egress.deny: private (10.0.0.0/8)');
    expect(ruleOf(policy, '169.254.169.254')).toBeUndefined();
    expect(ruleOf(policy, '169.254.169.253')).toBe('the always-refused 169.254.0.0/16');
  });

  it('says which address and rule refused, never the URL', () => {
    const refusal = new EgressPolicy(denyPrivate).refusal('user:pw@hooks', '10.0.0.1');
    expect(refusal).toBeInstanceOf(EgressRefusedError);
    expect(refusal?.code).toBe('HERALD_ERR_EGRESS_REFUSED');
    expect(refusal?.address).toBe('10.0.0.1');
    expect(refusal?.message).toBe('egress refused 10.0.0.1, private (RFC 1918), by egress.deny: private (10.0.0.0/8); add it to egress.allow to permit it');
  });
});
