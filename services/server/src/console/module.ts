// The web console (services/console, a Vite build) served by every target at `/`: the
// Ingress sends `/` to whichever Service answers it, so each image-built process can. Only
// `/`, `/console/…` (client routes, answered with index.html) and `/assets/…` (hashed
// bundles) are claimed: every API prefix keeps its own routes and its JSON 404.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express, { Router, type Response } from 'express';
import type { AirlockModule } from '@airlock/common';

/** services/console/dist, from src/console (tsx) and from dist/console (the built server) alike. */
export const CONSOLE_DIST = path.resolve(import.meta.dirname, '../../../console/dist');

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Airlock console not built</title></head>
<body><main>
<h1>The Airlock console is not built</h1>
<p>The API is running. Build the console with <code>npm run build</code> (or <code>npm start</code>,
which builds it when missing), then reload this page.</p>
</main></body></html>
`;

export function consoleRouter(dir: string = CONSOLE_DIST): Router {
  const router = Router();
  const index = path.join(dir, 'index.html');

  async function sendIndex(res: Response): Promise<void> {
    // Read per request: a rebuild while the server runs is picked up, and the file is small.
    const html = await readFile(index, 'utf8').catch(() => undefined);
    // index.html names the current hashed bundles: always revalidated, never kept.
    res.setHeader('Cache-Control', 'no-cache');
    if (html === undefined) {
      res.status(503).type('html').send(NOT_BUILT);
      return;
    }
    res.status(200).type('html').send(html);
  }

  // Hashed file names: a new build is a new URL, so browsers may keep these for a year.
  router.use(
    '/assets',
    express.static(path.join(dir, 'assets'), {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      // The app-wide `no-store` is already set; serve-static would not replace it.
      cacheControl: false,
      setHeaders: (res) => res.setHeader('Cache-Control', 'public, max-age=31536000, immutable'),
    }),
  );
  router.get(['/', '/console', '/console/{*rest}'], (_req, res, next) => {
    sendIndex(res).catch(next);
  });
  return router;
}

export const consoleModule: AirlockModule = {
  name: 'console',
  routePrefixes: ['/', '/console', '/assets'],
  init: () => ({ router: consoleRouter() }),
};
