// Serves the built playground (dist/playground) on localhost with the headers that make the
// page cross-origin isolated (COOP/COEP), so its worker gets shared WASM memory and kernel
// threads. Prints the URL. --no-isolation leaves the headers out, as a plain static host does
// (the page then runs on the reference kernels, one thread).
// tsx scripts/serve-playground.ts [--port N] [--dir DIR] [--no-isolation]   (default port 8080; 0: any free port)
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.json': 'application/json',
  '.png': 'image/png',
};

export interface Served {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export function servePlayground(dir: string, port = 8080, { isolate = true }: { isolate?: boolean } = {}): Promise<Served> {
  if (!existsSync(join(dir, 'index.html'))) throw new Error(`serve-playground: ${dir}/index.html not found; run npm run build:playground`);
  const server = createServer((req, res) => {
    if (isolate) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad path');
      return;
    }
    // Only files inside dir: a path climbing out of it is not found.
    const file = normalize(join(dir, path.endsWith('/') ? `${path}index.html` : path));
    const ok = file.startsWith(normalize(dir) + sep) && existsSync(file) && statSync(file).isFile();
    if (!ok) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const a = server.address() as { port: number };
      resolve({
        url: `http://localhost:${a.port}/`,
        server,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const port = Number(arg('--port') ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port: expected an integer in [0, 65535], got "${arg('--port')}"`);
    process.exit(1);
  }
  const dir = arg('--dir') ?? fileURLToPath(new URL('../dist/playground', import.meta.url));
  try {
    const isolate = !process.argv.includes('--no-isolation');
    const s = await servePlayground(dir, port, { isolate });
    console.log(`rulebench playground: ${s.url}${isolate ? '' : ' (not cross-origin isolated: reference kernels, one thread)'}`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
