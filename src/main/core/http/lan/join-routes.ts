import { Router } from 'express';
import type { LanEndpoint } from '../../services/join-links';

/** The join script and phone page, read once from `resources/` by the composition root. */
export interface JoinAssets {
  script: string;
  page: string;
  pageScript: string;
}

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * `GET /join.sh` is served with this Gatehouse's LAN URL and key pin filled in, so a
 * script fetched through a pinned curl keeps talking only to the same key.
 */
export function joinRoutes(endpoint: () => LanEndpoint, assets: JoinAssets): Router {
  const router = Router();
  router.get('/join.sh', (_req, res) => {
    const { lanUrl, tlsFingerprint } = endpoint();
    const script = assets.script
      .replace('__GATEHOUSE_URL__', lanUrl)
      .replace('__GATEHOUSE_PIN__', tlsFingerprint ?? '');
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
