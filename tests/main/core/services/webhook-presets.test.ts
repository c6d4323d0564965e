import { describe, expect, it } from 'vitest';
import { deliveryBody, presetBody, type WebhookMessage } from '../../../../src/main/core/services/webhook-presets';

const message: WebhookMessage = {
  id: '0b4a6c3e-1c1b-4e7e-9d3a-2f1f6f1c2a11',
  event: 'host.pending',
  at: '2026-01-01T00:00:00.000Z',
  data: { host: { hostname: 'web-01' } },
  title: 'Host web-01 <!channel> & co (10.0.0.5) is waiting for approval',
  lines: ['Verification code: 1234'],
  code: 'curl -fsS https://192.0.2.10:7443/join.sh | sh -s -- GATE-XXXX',
};

/** The block types Slack's incoming webhooks accept, and the fields the ones we send need. */
const SLACK_BLOCK_TYPES = new Set(['section', 'context', 'header', 'divider', 'actions', 'image', 'rich_text']);

function assertSlackBody(body: Record<string, unknown>) {
  expect(Object.keys(body).every((k) => ['text', 'blocks'].includes(k))).toBe(true);
  expect(typeof body.text).toBe('string');
  expect((body.text as string).length).toBeGreaterThan(0);
  const blocks = body.blocks as { type: string; text?: { type: string; text: string }; elements?: unknown[] }[];
  expect(Array.isArray(blocks)).toBe(true);
  expect(blocks.length).toBeLessThanOrEqual(50);
  for (const block of blocks) {
    expect(SLACK_BLOCK_TYPES.has(block.type), block.type).toBe(true);
    if (block.type === 'section') {
      expect(['mrkdwn', 'plain_text']).toContain(block.text!.type);
      expect(block.text!.text.length).toBeGreaterThan(0);
      expect(block.text!.text.length).toBeLessThanOrEqual(3000);
    }
    if (block.type === 'context') {
      expect(block.elements!.length).toBeGreaterThan(0);
      expect(block.elements!.length).toBeLessThanOrEqual(10);
      for (const e of block.elements as { type: string; text: string }[]) {
        expect(['mrkdwn', 'plain_text']).toContain(e.type);
        expect(typeof e.text).toBe('string');
      }
    }
  }
}

describe('chat presets', () => {
  it('gives Slack {text, blocks} of known block types, with the command in a code block', () => {
    const body = presetBody('slack', message);
    assertSlackBody(body);
    expect(body.text).toContain('```\ncurl -fsS https://192.0.2.10:7443/join.sh | sh -s -- GATE-XXXX\n```');
  });

  it('escapes a host-reported name so it cannot mention @channel in Slack', () => {
    const text = presetBody('slack', message).text as string;
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt; &amp; co');
  });

  it('keeps a long Slack section within its 3,000 characters', () => {
    const body = presetBody('slack', { ...message, lines: ['x'.repeat(5000)] });
    assertSlackBody(body);
  });

  it('gives Discord {content, embeds} with mentions switched off', () => {
    const body = presetBody('discord', message) as {
      content: string;
      embeds: { title: string; color: number; timestamp: string }[];
      allowed_mentions: { parse: unknown[] };
    };
    expect(body.content.length).toBeLessThanOrEqual(2000);
    expect(body.embeds).toHaveLength(1);
    expect(body.embeds[0]).toMatchObject({ title: 'host.pending', timestamp: message.at });
    expect(Number.isInteger(body.embeds[0]!.color)).toBe(true);
    expect(body.allowed_mentions).toEqual({ parse: [] });
  });

  it('gives Teams a MessageCard and Mattermost {text}', () => {
    const teams = presetBody('teams', message);
    expect(teams).toMatchObject({ '@type': 'MessageCard', '@context': 'https://schema.org/extensions' });
    expect(teams.themeColor).toMatch(/^[0-9a-f]{6}$/);
    const mattermost = presetBody('mattermost', message);
    expect(Object.keys(mattermost)).toEqual(['text']);
    expect(mattermost.text).toContain('Verification code: 1234');
  });

  it('sends the raw {id, event, at, data} without a preset, and nothing for people', () => {
    expect(JSON.parse(deliveryBody(null, message))).toEqual({
      id: message.id,
      event: message.event,
      at: message.at,
      data: message.data,
    });
  });
});
