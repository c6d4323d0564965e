import { randomBytes, randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import { ApiError } from '../../../shared/api/errors';
import type { ParsedInput } from '../../../shared/api/operations';
import { tokenFromRandom, tokenRecognitionPrefix } from '../../../shared/token-format';
import type { SecretBox } from '../security/secret-box';
import type { ExpectedHostRecord } from '../store/repositories';
import type { Store, UnitOfWork } from '../store/store';
import type { AuditService } from './audit-service';
import type { Clock } from './clock';
import { joinCommand, type LanEndpoint } from './join-links';
import type { SettingsService } from './settings-service';
import { tokenState, type TokenService } from './token-service';

const HOUR = 3_600_000;
/** Tokens minted for a sheet stay valid this long unless the admin says otherwise. */
export const SHEET_TOKEN_HOURS = 24 * 7;
export const CARDS_PER_PAGE = 6;

export interface SheetCard {
  rowId: string;
  hostname: string;
  position: string | null;
  token: string;
  command: string;
}

export interface EnrolmentSheetDeps {
  store: Store;
  audit: AuditService;
  clock: Clock;
  settings: SettingsService;
  secretBox: SecretBox;
  tokens: Pick<TokenService, 'hashOfTokenText'>;
  endpoint: () => LanEndpoint;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The enrolment sheet: one single-use token per unclaimed row of an import, bound to
 * that row (a registration with it is that row, whatever it reports), printed as cards
 * a technician takes to the rack. Rows that already have a usable token show that one
 * again (from its sealed copy), so printing twice never doubles the tokens.
 */
export function createEnrolmentSheet(deps: EnrolmentSheetDeps) {
  /** The row's bound token, if one is still usable and readable. */
  async function usableToken(tx: UnitOfWork, tokenIds: string[], now: number): Promise<string | undefined> {
    for (const id of tokenIds) {
      const token = await tx.tokens.findById(id);
      if (!token?.token_sealed || tokenState(token, now) !== 'active') continue;
      try {
        return deps.secretBox.open(token.token_sealed);
      } catch {
        // Sealed under a replaced key: mint a new one.
      }
    }
    return undefined;
  }

  async function mint(tx: UnitOfWork, row: ExpectedHostRecord, hours: number, actor: string, now: number) {
    const text = tokenFromRandom(deps.settings.get().token_prefix, randomBytes(32));
    const id = randomUUID();
    await tx.tokens.insert({
      id,
      tokenHash: deps.tokens.hashOfTokenText(text),
      tokenSealed: deps.secretBox.seal(text),
      prefix: tokenRecognitionPrefix(text),
      description: `Enrolment sheet: ${row.hostname}${row.position ? ` (${row.position})` : ''}`,
      expiresAt: now + hours * HOUR,
      maxUses: 1,
      labels: [],
      autoApprove: false,
      allowedCidrs: [],
      createdAt: now,
      createdBy: actor,
    });
    await tx.expectedHosts.bindToken(id, row.id);
    return { id, text };
  }

  /** Mints what is missing and returns one card per unclaimed row, in file order. */
  async function cards(importId: string, hours: number, actor: string): Promise<SheetCard[]> {
    const endpoint = deps.endpoint();
    return deps.store.write(async (tx) => {
      const rows = await tx.expectedHosts.list({ importId, limit: 10_000 });
      if (!rows.length) throw new ApiError('NOT_FOUND', 'No expected hosts were imported under that import_id.');
      const bound = new Map<string, string[]>();
      for (const { row_id, token_id } of await tx.expectedHosts.tokensOfImport(importId)) {
        bound.set(row_id, [...(bound.get(row_id) ?? []), token_id]);
      }
      const now = deps.clock.now();
      const out: SheetCard[] = [];
      const minted: string[] = [];
      for (const row of rows.filter((r) => r.claimed_by === null)) {
        let text = await usableToken(tx, bound.get(row.id) ?? [], now);
        if (text === undefined) {
          const token = await mint(tx, row, hours, actor, now);
          minted.push(token.id);
          text = token.text;
        }
        out.push({
          rowId: row.id,
          hostname: row.hostname,
          position: row.position,
          token: text,
          command: joinCommand(endpoint, text),
        });
      }
      await deps.audit.record(tx, {
        actor,
        action: 'expected.sheet_printed',
        targetType: 'expected_host',
        targetId: importId,
        detail: { cards: out.length, tokens_minted: minted.length, token_ids: minted },
      });
      if (minted.length) tx.emit({ topic: 'tokens', action: 'created', ids: minted });
      return out;
    });
  }

  return {
    cards,
    async sheet(input: ParsedInput<'expected.sheet'>, actor: string): Promise<{ content_type: string; data: string }> {
      const list = await cards(input.import_id, input.expires_in_hours ?? SHEET_TOKEN_HOURS, actor);
      return {
        content_type: 'text/html; charset=utf-8',
        data: await renderSheet(list, input.per_page ?? CARDS_PER_PAGE),
      };
    },
  };
}

/**
 * A4 pages of cards, `perPage` to a page (two columns), each with the host's name,
 * position, token and a QR of its join command. Self-contained HTML (inline SVG, no
 * scripts or fetches), so a browser prints it and the desktop saves it as PDF.
 */
export async function renderSheet(cards: SheetCard[], perPage = CARDS_PER_PAGE): Promise<string> {
  const rowsPerPage = Math.ceil(perPage / 2);
  const cardHeightMm = Math.floor((297 - 24 - (rowsPerPage - 1) * 6) / rowsPerPage);
  const qrMm = Math.max(30, Math.min(60, cardHeightMm - 34));
  const pages: string[] = [];
  for (let i = 0; i < cards.length; i += perPage) {
    const body = await Promise.all(
      cards.slice(i, i + perPage).map(async (card) => {
        const svg = await QRCode.toString(card.command, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
        return `<section class="card" data-row="${escapeHtml(card.rowId)}">
  <h2>${escapeHtml(card.hostname)}</h2>
  <p class="position">${card.position ? `Position ${escapeHtml(card.position)}` : 'No position given'}</p>
  <div class="qr" role="img" aria-label="QR code of the join command for ${escapeHtml(card.hostname)}">${svg}</div>
  <p class="token"><span>Token</span> <code>${escapeHtml(card.token)}</code></p>
  <p class="hint">Scan on the host, or run the join script and type the token. Single use.</p>
</section>`;
      }),
    );
    pages.push(`<div class="page">\n${body.join('\n')}\n</div>`);
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Gatehouse enrolment sheet</title>
<style>
  @page { size: A4; margin: 12mm; }
  * { box-sizing: border-box; }
  body { margin: 0; font-family: system-ui, sans-serif; color: #000; background: #fff; }
  .page { display: grid; grid-template-columns: 1fr 1fr; grid-auto-rows: ${cardHeightMm}mm; gap: 6mm;
          page-break-after: always; break-after: page; }
  .page:last-child { page-break-after: auto; break-after: auto; }
  .card { border: 0.4mm dashed #555; padding: 4mm; display: flex; flex-direction: column; align-items: center;
          break-inside: avoid; overflow: hidden; }
  h2 { margin: 0; font-size: 14pt; word-break: break-all; text-align: center; }
  .position { margin: 1mm 0; font-size: 10pt; }
  .qr svg { width: ${qrMm}mm; height: ${qrMm}mm; display: block; }
  .token { margin: 1mm 0 0; font-size: 8pt; text-align: center; }
  .token span { font-weight: 600; }
  .token code { font-size: 8.5pt; word-break: break-all; }
  .hint { margin: 1mm 0 0; font-size: 7pt; color: #333; text-align: center; }
</style>
</head>
<body>
${pages.join('\n')}
</body>
</html>
`;
}

export type EnrolmentSheet = ReturnType<typeof createEnrolmentSheet>;
