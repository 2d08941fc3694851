import { PLATFORMS, PLATFORM_CLOCKS, type ClockRule } from '../platforms.ts';

/**
 * The platforms' clocks in SQL: for each conversation, the instant its platform's rule counts it as
 * answered late (Shopee, Lazada, TikTok Shop) or its reply window closes (Messenger, Instagram);
 * null when nothing is owed (no customer message waits for an answer, the conversation is
 * resolved, or the platform has no rule, like LINE). The figures come from PLATFORM_CLOCKS only.
 *
 * What counts as an answer: an outgoing message that reached the customer (sent, or an echo of one
 * the seller sent elsewhere; not queued, not failed). Where the rule says automatic replies do not
 * count, messages from the AI or the system do not stop the clock.
 *
 * Use: `${clockJoins('c')}` after the FROM that names the conversation `c` (it joins the workspace
 * for its time zone), then `${DUE_AT}` as a column or in ORDER BY / WHERE.
 */

/** The column the joins produce. */
export const DUE_AT = 'clk.due_at';

const ANSWERED = `a.direction = 'out' and a.delivery_state is distinct from 'failed' and a.delivery_state is distinct from 'queued'`;

function hours(n: number): string {
	return `make_interval(secs => ${Number(n) * 3600})`;
}

function autoRepliesCount(rule: Readonly<ClockRule>): boolean {
	return rule.kind === 'window' || rule.autoRepliesCount;
}

/** The due instant for one rule, from `owed.first_at` (first unanswered customer message) and `owed.last_at`. */
function dueFor(rule: Readonly<ClockRule>, c: string): string {
	switch (rule.kind) {
		case 'reply_within':
			return `owed.first_at + ${hours(rule.hours)}`;
		case 'daily_cutoff': {
			// The first cutoff in the shop's wall-clock time strictly after the message, back to an instant.
			const local = `(owed.first_at at time zone clk_ws.time_zone)`;
			const cutoff = `(date_trunc('day', ${local}) + ${hours(rule.cutoffHour)})`;
			return `(case when ${local} < ${cutoff} then ${cutoff} else ${cutoff} + interval '1 day' end) at time zone clk_ws.time_zone`;
		}
		case 'window':
			return `case when owed.first_at is not null then greatest(${c}.last_customer_message_at, owed.last_at) + ${hours(rule.hours)} end`;
	}
}

/** LATERAL joins that add `clk.due_at` to each row of conversation alias `c`. */
export function clockJoins(c: string): string {
	const withRules = PLATFORMS.flatMap((p) => {
		const rule = PLATFORM_CLOCKS[p];
		return rule ? [{ platform: p, rule }] : [];
	});
	const autoCounts = withRules.filter((r) => autoRepliesCount(r.rule)).map((r) => `'${r.platform}'`);
	const cases = withRules.map((r) => `when '${r.platform}' then ${dueFor(r.rule, c)}`).join('\n\t\t\t\t');
	return `
		join workspaces clk_ws on clk_ws.id = ${c}.workspace_id
		left join lateral (
			select max(a.sent_at) as any_at, max(a.sent_at) filter (where a.sender_type = 'agent') as human_at
			  from messages a where a.conversation_id = ${c}.id and ${ANSWERED}
		) ans on ${c}.status <> 'resolved'
		left join lateral (
			select min(m.sent_at) as first_at, max(m.sent_at) as last_at
			  from messages m
			 where m.conversation_id = ${c}.id and m.direction = 'in' and m.sender_type = 'customer'
			   and m.sent_at > coalesce(case when ${c}.platform in (${autoCounts.join(', ') || 'null'}) then ans.any_at else ans.human_at end, '-infinity')
		) owed on ${c}.status <> 'resolved'
		cross join lateral (
			select case when ${c}.status = 'resolved' or owed.first_at is null then null::timestamptz
			       else case ${c}.platform
				${cases}
				else null::timestamptz end
			       end as due_at
		) clk`;
}
