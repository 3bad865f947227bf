// The playground's local server: the cross-origin isolation headers on every answer, files only
// from inside its folder (a path climbing out is not found), a malformed path refused, and a
// missing build named before anything listens.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { servePlayground } from '../../scripts/serve-playground.ts';

const root = mkdtempSync(join(tmpdir(), 'rulebench-serve-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('serve-playground', () => {
  it('serves its folder with COOP/COEP and nothing outside it', async () => {
    const dir = join(root, 'app');
    mkdirSync(dir);
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'kernels.wasm'), new Uint8Array([0, 97, 115, 109]));
    writeFileSync(join(root, 'secret.txt'), 'outside');
    const s = await servePlayground(dir, 0);
    try {
      const page = await fetch(s.url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect((await fetch(`${s.url}kernels.wasm`)).headers.get('content-type')).toBe('application/wasm');
      for (const p of ['../secret.txt', '%2e%2e/secret.txt', '%2e%2e%2fsecret.txt', 'nothing.js'])
        expect((await fetch(`${s.url}${p}`)).status, p).toBe(404);
      expect((await fetch(`${s.url}%E0%A4%A`)).status).toBe(400);
    } finally {
      await s.close();
    }
  });

  it('leaves the isolation headers out when asked, as a plain static host does', async () => {
    const dir = join(root, 'plain');
    mkdirSync(dir);
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    const s = await servePlayground(dir, 0, { isolate: false });
    try {
      const page = await fetch(s.url);
      expect(page.status).toBe(200);
      expect(page.headers.get('cross-origin-opener-policy')).toBeNull();
      expect(page.headers.get('cross-origin-embedder-policy')).toBeNull();
    } finally {
      await s.close();
    }
  });

  it('names a folder without a build', () => {
    expect(() => servePlayground(join(root, 'none'), 0)).toThrow(/none\/index\.html not found; run npm run build:playground/);
  });
});
