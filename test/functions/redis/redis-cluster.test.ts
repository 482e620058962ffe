import { describe, expect, it } from 'vitest';
import { parseClusterNodes } from '../../../functions/redis/redis-cluster.ts';

// CLUSTER NODES as Redis 7.0 prints it (the hostname after the comma when announced).
const TABLE = [
  '07c3 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460',
  '67ed 127.0.0.1:30002@40002,redis-b.internal master - 0 1426238316232 2 connected 5461-10922',
  '292f 127.0.0.1:30003@40003 master,fail - 1426238317239 1426238316232 3 disconnected 10923-16383',
  '6ec2 127.0.0.1:30004@40004 slave 07c3 0 1426238317741 1 connected',
  '824f :0@0 slave,noaddr 67ed 0 0 2 disconnected',
  '',
].join('\n');

describe('parseClusterNodes', () => {
  it('lists every addressable node with its role, prefers the announced host name, and flags failing nodes', () => {
    expect(parseClusterNodes(TABLE)).toEqual([
      { host: '127.0.0.1', port: 30001, role: 'primary', down: false, myself: true },
      { host: 'redis-b.internal', port: 30002, role: 'primary', down: false, myself: false },
      { host: '127.0.0.1', port: 30003, role: 'primary', down: true, myself: false },
      { host: '127.0.0.1', port: 30004, role: 'replica', down: false, myself: false },
    ]);
  });

  it('refuses a reply that is not a node table', () => {
    expect(parseClusterNodes('ERR something')).toBeUndefined();
  });
});
