import { Router } from 'express';
import { shellQuote, type LanEndpoint } from '../../services/join-links';

/** The join script and phone page, read once from `resources/` by the composition root. */
export interface JoinAssets {
  script: string;
  page: string;
  pageScript: string;
}

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The join script with this Gatehouse's URL and pin in place of its placeholders, each
 * as one single-quoted shell word. split/join, not String.replace: a replacement string
 * would expand `$&`, `$'` and `` $` `` found in an advertised URL.
 */
export function fillJoinScript(script: string, endpoint: LanEndpoint): string {
  return script
    .split('__GATEHOUSE_URL__')
    .join(shellQuote(endpoint.lanUrl))
    .split('__GATEHOUSE_PIN__')
    .join(shellQuote(endpoint.tlsFingerprint ?? ''));
}

/**
 * `GET /join.sh` is served with this Gatehouse's LAN URL and key pin filled in, so a
 * script fetched through a pinned curl keeps talking only to the same key.
 */
export function joinRoutes(endpoint: () => LanEndpoint, assets: JoinAssets): Router {
  const router = Router();
  router.get('/join.sh', (_req, res) => {
    const script = fillJoinScript(assets.script, endpoint());
    res.setHeader('Cache-Control', 'no-store');
    res.type('text/x-shellscript; charset=utf-8').send(script);
  });
  router.get('/join', (_req, res) => {
    res.setHeader('Content-Security-Policy', PAGE_CSP);
    res.type('html').send(assets.page);
  });
  router.get('/join.js', (_req, res) => {
    res.type('text/javascript; charset=utf-8').send(assets.pageScript);
  });
  return router;
}
