/** Rules every connector applies the same way, driven by its declared capabilities. */
import type { ZodType } from 'zod';
import { SendError } from './errors.ts';
import type { Capabilities, ReplyWindow } from '../types.ts';

const HOUR_MS = 3_600_000;

/** Whether a reply may go out now, given when the customer last wrote. */
export function replyWindow(capabilities: Capabilities, lastCustomerMessageAt: Date | null, now: Date): ReplyWindow {
	if (capabilities.replyWindowHours === null) return { ok: true, mode: 'standard' };
	if (!lastCustomerMessageAt) return { ok: false, reason: 'no_customer_message' };
	const age = now.getTime() - lastCustomerMessageAt.getTime();
	if (age <= capabilities.replyWindowHours * HOUR_MS) return { ok: true, mode: 'standard' };
	const extended = capabilities.extendedReplyWindowHours;
	if (extended !== undefined && age <= extended * HOUR_MS) return { ok: true, mode: 'extended' };
	const hours = extended ?? capabilities.replyWindowHours;
	return { ok: false, reason: 'window_closed', closedAt: new Date(lastCustomerMessageAt.getTime() + hours * HOUR_MS) };
}

/** Throws a permanent `SendError` before any request when the text cannot be sent as one message. */
export function assertSendableText(capabilities: Capabilities, text: string): void {
	if (text.trim().length === 0) throw new SendError('permanent', 'message text is empty', { code: 'empty_text' });
	const codePoints = [...text].length;
	if (codePoints > capabilities.maxTextLength) {
		throw new SendError('permanent', `message text has ${codePoints} characters; the limit is ${capabilities.maxTextLength}`, {
			code: 'text_too_long'
		});
	}
	const bytes = Buffer.byteLength(text, 'utf8');
	if (capabilities.maxTextBytes !== undefined && bytes > capabilities.maxTextBytes) {
		throw new SendError('permanent', `message text has ${bytes} UTF-8 bytes; the limit is ${capabilities.maxTextBytes}`, {
			code: 'text_too_long'
		});
	}
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
