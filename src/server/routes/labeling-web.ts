/**
 * The web app (web/, built into web/dist by `npm run build`): the dashboard at `/` with its pages
 * under hash routes (`/#/overview`, `/#/label`, …), served with a strict Content-Security-Policy.
 * The old labeling address `/label/` redirects to the app's labeling page. The built files are read once at startup into memory and looked up
 * by exact path, so no request path ever reaches the filesystem.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `npm run build` writes the app (the same relative place from src/ and dist/). */
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/**
 * Scripts and styles only from this origin (no inline code, no eval), no plugins, no framing,
 * no base-URI tricks; the app talks only to this server.
 */
export const LABEL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

interface WebFile {
  body: Buffer;
  type: string;
}

function load(root: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  if (!existsSync(join(root, 'index.html'))) return files;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else
        files.set(relative(root, path).split(sep).join('/'), {
          body: readFileSync(path),
          type: TYPES[extname(name)] ?? 'application/octet-stream',
        });
    }
  };
  walk(root);
  return files;
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', LABEL_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin');
}

export async function labelingWebRoutes(app: FastifyInstance, opts: { root?: string } = {}): Promise<void> {
  const files = load(opts.root ?? WEB_DIST);
  const send = (reply: FastifyReply, path: string) => {
    const file = files.get(path);
    if (!file) {
      const missing = files.size === 0 ? 'the web app is not built: run `npm run build`' : 'not found';
      return secure(reply)
        .status(files.size === 0 ? 503 : 404)
        .type('text/plain; charset=utf-8')
        .send(missing);
    }
    // Hashed asset names never change content; the page itself must be fetched fresh.
    reply.header('cache-control', path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-store');
    return secure(reply).type(file.type).send(file.body);
  };
  const options = { config: { access: { public: true } as const }, schema: { hide: true } };
  app.get('/', options, async (_request, reply) => send(reply, 'index.html'));
  app.get('/index.html', options, async (_request, reply) => send(reply, 'index.html'));
  app.get('/favicon.svg', options, async (_request, reply) => send(reply, 'favicon.svg'));
  app.get('/assets/*', options, async (request, reply) => send(reply, `assets/${(request.params as { '*': string })['*']}`));
  // The labeling page now lives in the app; bookmarks of the old address land there.
  const toLabeling = async (_request: unknown, reply: FastifyReply) => secure(reply).redirect('/#/label');
  app.get('/label', options, toLabeling);
  app.get('/label/', options, toLabeling);
  app.get('/label/*', options, toLabeling);
}
