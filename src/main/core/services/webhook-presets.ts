import type { WebhookPreset } from '../../../shared/domain';

/** What a delivery says, before it is shaped for its receiver. */
export interface WebhookMessage {
  /** The delivery id: receivers drop one they have already seen. */
  id: string;
  event: string;
  /** ISO time the event happened (was queued). */
  at: string;
  data: Record<string, unknown>;
  /** One line for people (chat presets); built from `data`, never holding a secret unless the caller put it there. */
  title: string;
  /** Further lines for people; a code block is shown verbatim (the join command). */
  lines?: string[];
  code?: string;
}

/** The body Gatehouse's own receivers get: `{id, event, at, data}`. */
export function rawBody(message: WebhookMessage): Record<string, unknown> {
  return { id: message.id, event: message.event, at: message.at, data: message.data };
}

/** Slack mrkdwn: `&`, `<` and `>` would start mentions and links (`<!channel>`); host names come from the hosts. */
const slackEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Markdown for Discord, Mattermost and Teams: a host-reported name cannot format or mention. */
const markdownEscape = (text: string) => text.replace(/([\\`*_~|>#[\]()@<])/g, '\\$1');

const fence = (code: string) => '```\n' + code.replace(/```/g, '`\u200b``') + '\n```';

const COLOURS: Record<string, number> = {
  'host.pending': 0xf2c744,
  'host.approved': 0x2eb67d,
  'host.rejected': 0xe01e5a,
  'host.offline': 0x9e9e9e,
  'token.exhausted': 0x9e9e9e,
  'token.expiring': 0xf2c744,
  alarm: 0xe01e5a,
};
const colourOf = (event: string) => COLOURS[event] ?? 0x36c5f0;

/**
 * The body for a chat service's incoming webhook:
 * Slack `{text, blocks}` (section + context blocks, mrkdwn), Teams a legacy MessageCard
 * (what Office 365 connectors and Power Automate's "post to a channel" accept), Discord
 * `{content, embeds, allowed_mentions}` with mentions switched off, Mattermost `{text}`.
 * `text`/`content` always carries the whole message, for clients that ignore the rest.
 */
export function presetBody(preset: WebhookPreset, message: WebhookMessage): Record<string, unknown> {
  const lines = message.lines ?? [];
  const footer = `Gatehouse · ${message.event} · ${message.at}`;
  switch (preset) {
    case 'slack': {
      const body = [slackEscape(message.title), ...lines.map(slackEscape)].join('\n');
      const text = message.code ? `${body}\n${fence(message.code)}` : body;
      return {
        text,
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } },
          { type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(footer) }] },
        ],
      };
    }
    case 'teams':
      return {
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: message.title.slice(0, 200),
        themeColor: colourOf(message.event).toString(16).padStart(6, '0'),
        title: markdownEscape(message.title),
        text: [...lines.map(markdownEscape), ...(message.code ? [fence(message.code)] : []), footer].join('\n\n'),
      };
    case 'discord': {
      const description = [...lines.map(markdownEscape), ...(message.code ? [fence(message.code)] : [])].join('\n');
      return {
        content: markdownEscape(message.title).slice(0, 2000),
        embeds: [
          {
            title: message.event,
            ...(description ? { description: description.slice(0, 4096) } : {}),
            color: colourOf(message.event),
            timestamp: message.at,
            footer: { text: 'Gatehouse' },
          },
        ],
        allowed_mentions: { parse: [] },
      };
    }
    case 'mattermost':
      return {
        text: [
          markdownEscape(message.title),
          ...lines.map(markdownEscape),
          ...(message.code ? [fence(message.code)] : []),
        ].join('\n'),
      };
  }
}

/** The bytes of one delivery: the raw event, or its preset's shape. */
export function deliveryBody(preset: WebhookPreset | null, message: WebhookMessage): string {
  return JSON.stringify(preset ? presetBody(preset, message) : rawBody(message));
}
