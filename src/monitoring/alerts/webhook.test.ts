import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWebhookUrl, postWebhook, privateAddressReason, slackBody } from './webhook.js';

let server: Server;
let url: string;
const received: unknown[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('privateAddressReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd00::1', 'unique local'],
    ['fe80::1%eth0', 'link-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['ff02::1', 'multicast'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(privateAddressReason(address)).toContain(reason);
  });

  it.each(['8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('accepts public %s', (address) => {
    expect(privateAddressReason(address)).toBeNull();
  });
});

describe('checkWebhookUrl', () => {
  it('refuses a host when any address it resolves to is private (DNS checked, every address)', async () => {
    const resolve = async () => ['93.184.216.34', '10.0.0.5'];
    await expect(checkWebhookUrl('https://hooks.example.com/x', { resolve })).rejects.toMatchObject({ code: 'PERMISSION_DENIED', details: { address: '10.0.0.5' } });
    await expect(checkWebhookUrl('http://[::1]:8080/x')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(checkWebhookUrl('http://169.254.169.254/latest/meta-data')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('accepts public addresses and private ones only when allowed', async () => {
    const resolve = async () => ['93.184.216.34'];
    await expect(checkWebhookUrl('https://hooks.example.com/x', { resolve })).resolves.toMatchObject({ addresses: ['93.184.216.34'] });
    await expect(checkWebhookUrl('http://127.0.0.1/x', { allowPrivate: true })).resolves.toMatchObject({ addresses: ['127.0.0.1'] });
  });

  it('refuses other schemes and credentials', async () => {
    await expect(checkWebhookUrl('file:///etc/passwd')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(checkWebhookUrl('http://user:pw@example.com/')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(checkWebhookUrl('not a url')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('postWebhook', () => {
  it('delivers JSON to a local receiver allowed explicitly', async () => {
    expect(await postWebhook(`${url}/hook`, { text: 'hello' }, { allowPrivate: true })).toBe(200);
    expect(received.at(-1)).toEqual({ text: 'hello' });
  });

  it('refuses the same local receiver by default, before connecting', async () => {
    const before = received.length;
    await expect(postWebhook(`${url}/hook`, { text: 'no' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(received.length).toBe(before);
  });

  it('reports a non-2xx answer and an unreachable receiver as UNAVAILABLE', async () => {
    await expect(postWebhook(`${url}/fail`, { text: 'x' }, { allowPrivate: true })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(postWebhook('http://127.0.0.1:1/x', { text: 'x' }, { allowPrivate: true, timeoutMs: 1000 })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('slackBody', () => {
  it("escapes Slack's control characters in the message (group names come from requests)", () => {
    const alert = {
      id: 'alt_1', ruleId: 'rul_1', ruleName: 'gap', model: 'support', metric: 'fairness.region.accuracy_difference.lower', dedupKey: 'k', status: 'firing' as const,
      firstWindow: 'w1', lastWindow: 'w2', windows: 2, value: 0.2, threshold: 0.05, createdAt: 't', updatedAt: 't', resolvedAt: null, delivery: 'none' as const, deliveryError: null, deliveredAt: null,
      message: 'fairness.region.accuracy_difference.lower = 0.2 > 0.05 (accuracy: <!channel> 0.6, <https://evil.example|click> & co 0.9)',
    };
    const body = slackBody(alert, 'firing');
    expect(body.text).not.toMatch(/<!channel>|<https:/);
    expect(body.text).toContain('&lt;!channel&gt; 0.6, &lt;https://evil.example|click&gt; &amp; co 0.9');
    expect(body.text).toContain('= 0.2 &gt; 0.05');
  });
});
