/**
 * Alert delivery to webhooks, with a guard against server-side request forgery: the host is
 * resolved and every address it resolves to must be public (not private, loopback, link-local,
 * unique-local, CGNAT, multicast or unspecified) unless private targets are explicitly allowed.
 * The connection goes to the address that was checked (no second lookup to rebind).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { MloopError } from '../../errors/index.js';
import type { Alert } from '../monitoring.js';

/** Why an address is refused, or null when it is public. */
export function privateAddressReason(address: string): string | null {
  const v = isIP(address);
  if (v === 4) return ipv4Reason(address);
  if (v === 6) return ipv6Reason(address);
  return 'not an IP address';
}

function ipv4Reason(a: string): string | null {
  const [x, y] = a.split('.').map(Number) as [number, number, number, number];
  if (x === 0) return 'unspecified (0.0.0.0/8)';
  if (x === 10) return 'private (10.0.0.0/8)';
  if (x === 127) return 'loopback (127.0.0.0/8)';
  if (x === 169 && y === 254) return 'link-local (169.254.0.0/16)';
  if (x === 172 && y >= 16 && y <= 31) return 'private (172.16.0.0/12)';
  if (x === 192 && y === 168) return 'private (192.168.0.0/16)';
  if (x === 100 && y >= 64 && y <= 127) return 'shared address space (100.64.0.0/10)';
  if (x === 192 && y === 0) return 'reserved (192.0.0.0/24)';
  if (x === 198 && (y === 18 || y === 19)) return 'benchmarking (198.18.0.0/15)';
  if (x >= 224) return 'multicast or reserved (224.0.0.0/3)';
  return null;
}

function expand6(a: string): number[] | null {
  let s = a.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // Embedded IPv4 (::ffff:1.2.3.4): turn its last 32 bits into two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = v4[1]!.split('.').map(Number);
    s = s.slice(0, -v4[1]!.length) + (((p[0]! << 8) | p[1]!).toString(16) + ':' + ((p[2]! << 8) | p[3]!).toString(16));
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...Array<string>(Math.max(0, fill)).fill('0'), ...t].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

function ipv6Reason(a: string): string | null {
  const g = expand6(a);
  if (!g) return 'unparsable IPv6 address';
  const [g0, , , , , g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const zeroHead = g.slice(0, 5).every((x) => x === 0);
  if (zeroHead && g5 === 0xffff) return ipv4Reason(`${g6 >> 8}.${g6 & 255}.${g7 >> 8}.${g7 & 255}`);
  if (g.every((x) => x === 0)) return 'unspecified (::)';
  if (g.slice(0, 7).every((x) => x === 0) && g7 === 1) return 'loopback (::1)';
  if ((g0 & 0xfe00) === 0xfc00) return 'unique local (fc00::/7)';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local (fe80::/10)';
  if ((g0 & 0xff00) === 0xff00) return 'multicast (ff00::/8)';
  if (g0 === 0x64 && g[1] === 0xff9b) return ipv4Reason(`${g6 >> 8}.${g6 & 255}.${g7 >> 8}.${g7 & 255}`);
  return null;
}

/** Options of {@link checkWebhookUrl} and {@link postWebhook}. */
export interface WebhookOptions {
  /** Allow private, loopback and link-local targets (`monitoring.allowPrivateWebhooks`). */
  allowPrivate?: boolean;
  /** Resolver (default: the system's, every address). */
  resolve?: (host: string) => Promise<string[]>;
  timeoutMs?: number;
}

async function systemResolve(host: string): Promise<string[]> {
  return (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

/** Validates a webhook URL's form (http or https, a host, no credentials). */
export function parseWebhookUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw MloopError.invalidArgument(`invalid webhook URL '${url}'`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw MloopError.invalidArgument(`webhook URL must be http or https, got '${u.protocol}'`);
  if (u.username || u.password) throw MloopError.invalidArgument('webhook URL must not carry credentials before the host');
  return u;
}

/**
 * Resolves the webhook's host and checks every address; PERMISSION_DENIED names the refused one.
 * Returns the addresses that may be connected to.
 */
export async function checkWebhookUrl(url: string, options: WebhookOptions = {}): Promise<{ url: URL; addresses: string[] }> {
  const u = parseWebhookUrl(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await (options.resolve ?? systemResolve)(host);
    } catch (err) {
      throw MloopError.unavailable(`cannot resolve webhook host '${host}'`, { cause: err });
    }
  }
  if (addresses.length === 0) throw MloopError.unavailable(`webhook host '${host}' resolves to no address`);
  if (!options.allowPrivate) {
    for (const a of addresses) {
      const reason = privateAddressReason(a);
      if (reason !== null) {
        throw MloopError.permissionDenied(`webhook target ${host} resolves to ${a}, a ${reason} address`, {
          hint: 'set monitoring.allowPrivateWebhooks (MLOOP_MONITORING_ALLOW_PRIVATE_WEBHOOKS=true) to deliver to internal hosts',
          details: { host, address: a, reason },
        });
      }
    }
  }
  return { url: u, addresses };
}

/** A Slack-compatible body (`text` plus blocks), with the alert itself under `mloop`. */
/**
 * Slack's control characters escaped (`&`, `<`, `>`): alert messages carry group names that API
 * callers chose, and `<!channel>` or `<https://…|text>` in them must not notify or link.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackBody(alert: Alert, event: 'firing' | 'resolved') {
  const icon = event === 'firing' ? ':rotating_light:' : ':white_check_mark:';
  const text = `${icon} ${event === 'firing' ? 'Alert' : 'Resolved'} ${escapeSlack(alert.ruleName)} on ${escapeSlack(alert.model)}: ${escapeSlack(alert.message)}`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `metric \`${escapeSlack(alert.metric)}\` · ${alert.windows} window(s) from ${alert.firstWindow} to ${alert.lastWindow}` }],
      },
    ],
    mloop: {
      event,
      alert: { id: alert.id, rule: alert.ruleName, model: alert.model, metric: alert.metric, value: alert.value, threshold: alert.threshold, first_window: alert.firstWindow, last_window: alert.lastWindow, windows: alert.windows },
    },
  };
}

/** Posts JSON to a checked webhook; resolves with the HTTP status, rejects on refusal, network error, timeout or a non-2xx answer. */
export async function postWebhook(url: string, body: unknown, options: WebhookOptions = {}): Promise<number> {
  const { url: u, addresses } = await checkWebhookUrl(url, options);
  const address = addresses[0]!;
  const family = isIP(address);
  // Connect to the checked address, whatever a second lookup would say.
  const lookup: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
    else cb(null, address, family);
  };
  const payload = Buffer.from(JSON.stringify(body));
  const request = u.protocol === 'https:' ? https.request : http.request;
  return new Promise<number>((resolve, reject) => {
    const req = request(
      u,
      { method: 'POST', lookup, headers: { 'content-type': 'application/json', 'content-length': payload.length, 'user-agent': 'mloop-monitoring' }, timeout: options.timeoutMs ?? 5000 },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(status);
          else reject(MloopError.unavailable(`webhook answered HTTP ${status}`, { details: { status } }));
        });
      },
    );
    req.on('timeout', () => req.destroy(MloopError.unavailable(`webhook did not answer within ${options.timeoutMs ?? 5000} ms`)));
    req.on('error', (err) => reject(err instanceof MloopError ? err : MloopError.unavailable(`webhook delivery failed: ${(err as NodeJS.ErrnoException).code ?? 'network error'}`, { cause: err })));
    req.end(payload);
  });
}
