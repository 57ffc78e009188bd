/**
 * Slack incoming-webhook payloads: Block Kit blocks with a `text` fallback (shown in notifications and by
 * clients that cannot render blocks). Limits are Block Kit's: header 150 characters, section text 3000, at most
 * 10 fields of 2000 each, 50 blocks; longer content is cut with an ellipsis rather than rejected by Slack.
 */
import { escapeSlack, renderText, type MessageModel } from './template.js';

export type SlackText =
  { type: 'plain_text'; text: string; emoji?: boolean } | { type: 'mrkdwn'; text: string };

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji?: boolean } }
  | {
      type: 'section';
      text?: { type: 'mrkdwn'; text: string };
      fields?: Array<{ type: 'mrkdwn'; text: string }>;
    }
  | { type: 'context'; elements: Array<{ type: 'mrkdwn'; text: string }> }
  | { type: 'divider' };

/** The body of an incoming-webhook POST, before the adapter adds `channel`. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export const SLACK_LIMITS = {
  header: 150,
  sectionText: 3000,
  field: 2000,
  fields: 10,
  blocks: 50,
  text: 40_000,
};

export function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

export function slackMessage(m: MessageModel): SlackMessage {
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: cut(`${m.icon} ${m.title}`, SLACK_LIMITS.header), emoji: true },
    },
  ];
  for (const p of m.parts) {
    if (p.kind === 'fields') {
      for (let i = 0; i < p.items.length; i += SLACK_LIMITS.fields) {
        blocks.push({
          type: 'section',
          fields: p.items.slice(i, i + SLACK_LIMITS.fields).map((f) => ({
            type: 'mrkdwn',
            text: cut(`*${f.label}:*\n${escapeSlack(f.value)}`, SLACK_LIMITS.field),
          })),
        });
      }
    } else {
      const lines = p.items.map(
        (item, n) => `${p.numbered ? `${n + 1}.` : '•'} ${p.raw ? item : escapeSlack(item)}`,
      );
      blocks.push({
        type: 'section',
        text: { type: 'mrkdwn', text: cut([`*${p.label}:*`, ...lines].join('\n'), SLACK_LIMITS.sectionText) },
      });
    }
  }
  return {
    text: cut(renderText(m, 'slack'), SLACK_LIMITS.text),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}
