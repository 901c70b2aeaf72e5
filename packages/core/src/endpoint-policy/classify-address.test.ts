import { describe, expect, it } from 'vitest';
import { classifyAddress } from './classify-address';
import { formatIp, parseIp } from './ip-address';

describe('classifyAddress', () => {
  it.each([
    // IPv4 dotted
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.20', 'private'],
    ['100.64.0.1', 'private'],
    ['8.8.8.8', 'public'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    // Other IPv4 spellings a URL or socket accepts
    ['2130706433', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['127.1', 'loopback'],
    ['2852039166', 'metadata'],
    ['0xa9fea9fe', 'metadata'],
    ['0', 'unspecified'],
    ['0x', 'unspecified'],
    // IPv6
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fd00:ec2::254', 'metadata'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'reserved'],
    ['2606:4700::1111', 'public'],
    // IPv4 inside IPv6
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:169.254.169.254]', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:192.168.0.1', 'private'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:7f00:1::', 'loopback'],
    ['::127.0.0.1', 'loopback'],
  ])('%s is %s', (text, expected) => {
    expect(classifyAddress(text)).toBe(expected);
  });

  it.each([
    'localhost',
    'broker.lan',
    'example.com',
    '1.2.3.4.5',
    '256.1.1.1',
    '::1::2',
    '1:2:3:4:5:6:7:8:9',
    'gg::1',
    '',
  ])('%s is not an IP literal', (text) => {
    expect(classifyAddress(text)).toBeNull();
  });

  it('formats parsed addresses canonically', () => {
    expect(formatIp(parseIp('2130706433')!)).toBe('127.0.0.1');
    expect(formatIp(parseIp('::ffff:127.0.0.1')!)).toBe('0:0:0:0:0:ffff:7f00:1');
  });
});
