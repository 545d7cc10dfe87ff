import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../lib/errors.js';
import { bridgeConfList, cniArgs, pluginErrorMessage, pluginStdin, podNetworkFromResult } from './cni.js';

const opts = { name: 'tugboat-node-1', bridge: 'cni0', subnet: '10.244.1.0/24', dataDir: '/var/lib/tug/node-1/cni/ipam' };

describe('bridgeConfList', () => {
  it('is bridge with host-local IPAM (default route included), then loopback', () => {
    const list = bridgeConfList({ ...opts, ipMasq: true });
    assert.equal(list.cniVersion, '1.0.0');
    assert.equal(list.name, 'tugboat-node-1');
    assert.deepEqual(list.plugins.map((p) => p.type), ['bridge', 'loopback']);
    assert.deepEqual(list.plugins[0], {
      type: 'bridge',
      bridge: 'cni0',
      isGateway: true,
      ipMasq: true,
      hairpinMode: true,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: '10.244.1.0/24' }]],
        routes: [{ dst: '0.0.0.0/0' }],
        dataDir: '/var/lib/tug/node-1/cni/ipam',
      },
    });
    assert.equal(bridgeConfList(opts).plugins[0]!.ipMasq, false);
  });
  it('rejects bridge names Linux cannot have and malformed CIDRs', () => {
    const invalid = (o: typeof opts, re: RegExp) => assert.throws(() => bridgeConfList(o), (e: unknown) => e instanceof ApiError && re.test(e.message));
    invalid({ ...opts, bridge: 'a-very-long-bridge-name' }, /1-15 characters/);
    invalid({ ...opts, subnet: '10.244.1.0' }, /pod CIDR/);
    invalid({ ...opts, subnet: '10.244.300.0/24' }, /pod CIDR/);
    invalid({ ...opts, subnet: '10.244.1.0/31' }, /pod CIDR/);
  });
});

describe('pluginStdin', () => {
  it('adds the list name and version, and the previous result when there is one', () => {
    const list = bridgeConfList(opts);
    const first = JSON.parse(pluginStdin(list, list.plugins[1]!)) as Record<string, unknown>;
    assert.deepEqual(first, { type: 'loopback', cniVersion: '1.0.0', name: 'tugboat-node-1' });
    const chained = JSON.parse(pluginStdin(list, list.plugins[1]!, { ips: [] })) as Record<string, unknown>;
    assert.deepEqual(chained.prevResult, { ips: [] });
  });
});

describe('podNetworkFromResult', () => {
  const result = {
    cniVersion: '1.0.0',
    interfaces: [
      { name: 'cni0', mac: 'aa:aa:aa:aa:aa:aa' },
      { name: 'veth1234', mac: 'bb:bb:bb:bb:bb:bb' },
      { name: 'eth0', mac: 'cc:cc:cc:cc:cc:cc', sandbox: '/run/netns/p' },
    ],
    ips: [
      { interface: 2, address: 'fd00::5/64' },
      { interface: 2, address: '10.244.1.5/24', gateway: '10.244.1.1' },
    ],
    routes: [{ dst: '0.0.0.0/0' }],
  };
  it('picks the IPv4 address on the sandbox interface', () => {
    assert.deepEqual(podNetworkFromResult(result, 'eth0'), {
      ip: '10.244.1.5',
      cidr: '10.244.1.5/24',
      gateway: '10.244.1.1',
      interfaceName: 'eth0',
      mac: 'cc:cc:cc:cc:cc:cc',
    });
  });
  it('says so when there is no IPv4 address', () => {
    assert.throws(() => podNetworkFromResult({ interfaces: [], ips: [] }, 'eth0'), /no IPv4 address for eth0/);
  });
});

describe('plugin errors and args', () => {
  it('turns a CNI error document into a sentence', () => {
    assert.equal(pluginErrorMessage('{"code":7,"msg":"failed to allocate","details":"range full"}', ''), 'failed to allocate: range full (CNI error 7)');
    assert.equal(pluginErrorMessage('', 'panic: boom\n'), 'panic: boom');
  });
  it('formats CNI_ARGS with IgnoreUnknown', () => {
    assert.equal(cniArgs({ K8S_POD_NAME: 'web', K8S_POD_NAMESPACE: 'default' }), 'IgnoreUnknown=1;K8S_POD_NAME=web;K8S_POD_NAMESPACE=default');
    assert.equal(cniArgs({}), undefined);
  });
});
