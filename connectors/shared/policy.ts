/** Rules every connector applies the same way, driven by its declared capabilities. */
import type { ZodType } from 'zod';
import { SendError } from './errors.ts';
import { checkText, replyWindowState } from '../../src/lib/platforms.ts';
import type { Capabilities, ReplyWindow } from '../types.ts';

/** Whether a reply may go out now, given when the customer last wrote (the rule is the platform facts' one). */
export function replyWindow(capabilities: Capabilities, lastCustomerMessageAt: Date | null, now: Date): ReplyWindow {
	const state = replyWindowState(capabilities, lastCustomerMessageAt, now);
	switch (state.kind) {
		case 'none':
		case 'open':
			return { ok: true, mode: 'standard' };
		case 'extended':
			return { ok: true, mode: 'extended' };
		case 'no_customer':
			return { ok: false, reason: 'no_customer_message' };
		case 'closed':
			return { ok: false, reason: 'window_closed', closedAt: new Date(state.closes) };
	}
}

/** Throws a permanent `SendError` before any request when the text cannot be sent as one message (counted as the composer counts). */
export function assertSendableText(capabilities: Capabilities, text: string): void {
	const check = checkText(capabilities, text);
	if (check.ok) return;
	if (check.reason === 'empty') throw new SendError('permanent', 'message text is empty', { code: 'empty_text' });
	const unit = check.unit === 'bytes' ? 'UTF-8 bytes' : 'characters';
	throw new SendError('permanent', `message text has ${check.count} ${unit}; the limit is ${check.max}`, { code: 'text_too_long' });
}

/** Throws a permanent `SendError` when the reply window is closed; returns the window's mode otherwise. */
export function assertWindowOpen(capabilities: Capabilities, lastCustomerMessageAt: Date | null, now: Date): 'standard' | 'extended' {
	const window = replyWindow(capabilities, lastCustomerMessageAt, now);
	if (window.ok) return window.mode;
	throw new SendError('permanent', `reply window is closed (${window.reason})`, { code: window.reason });
}

/** Validates a connection's public settings before a call; a bad setting is a permanent failure, not a crash. */
export function readSettings<T>(schema: ZodType<T>, settings: Record<string, unknown>): T {
	const result = schema.safeParse(settings);
	if (result.success) return result.data;
	const fields = result.error.issues.map((issue) => issue.path.join('.')).join(', ');
	throw new SendError('permanent', `connection settings are invalid: ${fields}`, { code: 'invalid_settings' });
}
