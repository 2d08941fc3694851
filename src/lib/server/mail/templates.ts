import { translator, type Locale, type MessageKey } from '../../i18n/index.ts';
import type { Mail, MailKind } from './mailer.ts';

/** What each kind of mail needs besides its link; the texts live in the i18n catalogs (mail.*). */
export interface MailParams {
	invitation: { workspace: string; inviter: string; role: 'admin' | 'agent' | 'supervisor' };
	verify_email: { name: string };
	password_reset: { name: string };
	signup_attempt: { name: string };
}

const keys = {
	invitation: { subject: 'mail.invitation.subject', body: 'mail.invitation.body', action: 'mail.invitation.action' },
	verify_email: { subject: 'mail.verify.subject', body: 'mail.verify.body', action: 'mail.verify.action' },
	password_reset: { subject: 'mail.reset.subject', body: 'mail.reset.body', action: 'mail.reset.action' },
	signup_attempt: { subject: 'mail.signupAttempt.subject', body: 'mail.signupAttempt.body', action: 'mail.signupAttempt.action' }
} as const satisfies Record<MailKind, { subject: MessageKey; body: MessageKey; action: MessageKey }>;

const escapeHtml = (value: string) =>
	value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Renders one mail in `locale`: plain text and a simple HTML twin with the same words. */
export function composeMail<K extends MailKind>(kind: K, locale: Locale, to: string, link: string, params: MailParams[K], userId?: string): Mail {
	const t = translator(locale) as (key: MessageKey, params?: Record<string, string>) => string;
	const values: Record<string, string> = { ...(params as Record<string, string>) };
	if ('role' in values) values.role = t(`role.${values.role}` as MessageKey);
	const k = keys[kind];
	const greeting = 'name' in values ? t('mail.greeting', values) : null;
	const paragraphs = [greeting, t(k.body, values)].filter((p): p is string => Boolean(p));
	const action = t(k.action);
	const footer = [t('mail.ignore'), t('mail.signature')];
	const text = [...paragraphs, `${action}:\n${link}`, ...footer].join('\n\n') + '\n';
	const html =
		`<!doctype html><html lang="${locale}"><body style="font-family:sans-serif;line-height:1.5">` +
		paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('') +
		`<p><a href="${escapeHtml(link)}">${escapeHtml(action)}</a></p>` +
		`<p style="color:#666">${escapeHtml(link)}</p>` +
		footer.map((p) => `<p style="color:#666">${escapeHtml(p)}</p>`).join('') +
		`</body></html>`;
	return { kind, to, subject: t(k.subject, values), text, html, link, userId };
}
