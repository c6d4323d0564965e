import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Response } from 'express';

const STYLE = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: Canvas; color: CanvasText; }
main { max-width: 34rem; padding: 2rem; line-height: 1.5; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
code { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.notice { border-left: 4px solid #c0392b; padding: 0.5rem 1rem; margin: 0 0 1rem; }
form { display: grid; gap: 0.5rem; margin-top: 1.5rem; }
input { font: inherit; font-family: ui-monospace, monospace; padding: 0.5rem; }
button { font: inherit; padding: 0.5rem 1rem; justify-self: start; cursor: pointer; }
`;

/**
 * The page's policy: nothing but its own inline style (pinned by hash), forms that
 * post back here, and no framing. The page runs no script at all.
 */
export const SIGN_IN_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface SignInPageOptions {
  /** The data directory, named so the admin knows where endpoint.json and admin-token are. */
  dataDir?: string;
  /** Why the last attempt failed, shown above the form. */
  notice?: string;
}

/**
 * The sign-in page a browser gets on the admin listener without a session: it says
 * where the login URL and the admin token live and takes the token pasted in.
 */
export function renderSignInPage(options: SignInPageOptions = {}): string {
  const file = (name: string) =>
    `<code>${escapeHtml(options.dataDir ? join(options.dataDir, name) : `<data dir>/${name}`)}</code>`;
  const notice = options.notice ? `<p class="notice" role="alert">${escapeHtml(options.notice)}</p>\n` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in — Gatehouse</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Sign in to Gatehouse</h1>
${notice}<p>This Gatehouse needs you to sign in. Open the login URL printed by <code>npm run serve</code> or stored in ${file('endpoint.json')}, or paste the admin token from ${file('admin-token')}.</p>
<form method="post" action="/login">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" spellcheck="false" required>
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`;
}

/** Sends the sign-in page with its own strict policy (the renderer's CSP does not apply here). */
export function sendSignInPage(res: Response, status: number, options: SignInPageOptions = {}): void {
  res.status(status);
  res.setHeader('Content-Security-Policy', SIGN_IN_CSP);
  // The form posts back here; with `no-referrer` the browser would send `Origin: null`.
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.send(renderSignInPage(options));
}
