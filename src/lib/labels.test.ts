import { describe, expect, it } from 'vitest';
import { isValidLabel } from './conversation-doc.ts';

describe('labels', () => {
	it('accepts Thai labels with vowel and tone marks', () => {
		for (const label of ['ส่งด่วน', 'คืนเงิน', 'รอชำระ', 'VIP', 'size-M']) expect(isValidLabel(label), label).toBe(true);
	});

	it('refuses a label that starts with a mark, a space or punctuation, or is too long', () => {
		for (const label of ['\u0e48abc', ' vip', '-x', 'a'.repeat(41), '']) expect(isValidLabel(label), JSON.stringify(label)).toBe(false);
	});
});
