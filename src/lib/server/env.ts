import { z } from 'zod';
import { PLATFORMS, type Platform } from '../platforms.ts';

const PLATFORM_KEYS = PLATFORMS.map((platform) => platform.toUpperCase() as Uppercase<Platform>);

/** The deployment's app on each platform that has an authorization page: id and secret, set together. */
const APP_SETTINGS = {
	META: ['CHATMAI_META_APP_ID', 'CHATMAI_META_APP_SECRET'],
	SHOPEE: ['CHATMAI_SHOPEE_PARTNER_ID', 'CHATMAI_SHOPEE_PARTNER_KEY'],
	LAZADA: ['CHATMAI_LAZADA_APP_KEY', 'CHATMAI_LAZADA_APP_SECRET'],
	TIKTOK: ['CHATMAI_TIKTOK_APP_KEY', 'CHATMAI_TIKTOK_APP_SECRET']
} as const;
const APP_VARIABLES = [...Object.values(APP_SETTINGS).flat(), 'CHATMAI_TIKTOK_SERVICE_ID'];

const bool = z
	.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
	.transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const url = (protocols: string[]) =>
	z.string().refine((v) => {
		try {
			return protocols.includes(new URL(v).protocol);
		} catch {
			return false;
		}
	}, `must be a URL starting with ${protocols.join(' or ')}`);

const schema = z.object({
	// Unset means production: `npm start` and `npm run serve` must never drop a production rule
	// (the API-host ban, the encryption-key requirement) because a variable was forgotten.
	NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
	PORT: z.coerce.number().int().min(0).max(65535).default(3000),
	HOST: z.string().min(1).default('0.0.0.0'),
	ORIGIN: url(['http:', 'https:']).optional(),
	DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
	CHATMAI_DATA_DIR: z.string().min(1).default('.data'),
	CHATMAI_SEED_DEMO: bool.optional(),
	CHATMAI_WORKERS: bool.default(true),
	CHATMAI_ENCRYPTION_KEYS: z.string().optional(),
	CHATMAI_SESSION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
	CHATMAI_SIGNUP_LIMIT_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(10),
	CHATMAI_LOGIN_LIMIT_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(30),
	CHATMAI_SOCKETS_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(200),
	// adapter-node's own variables: the web app reads them itself, the collab upgrade through here.
	ADDRESS_HEADER: z.string().toLowerCase().optional(),
	XFF_DEPTH: z.coerce.number().int().min(1).max(100).default(1),
	CHATMAI_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
	REDIS_URL: url(['redis:', 'rediss:']).optional(),
	SMTP_URL: url(['smtp:', 'smtps:']).optional(),
	MAIL_FROM: z.string().min(3).max(320).default('ChatMai <chatmai@localhost>'),
	OLLAMA_HOST: url(['http:', 'https:']).default('http://127.0.0.1:11434'),
	// SCB 10X's Typhoon 2.1 (Gemma 3, 4B, 2.6 GB): Thai first, English too.
	OLLAMA_MODEL: z.string().min(1).default('scb10x/typhoon2.1-gemma3-4b'),
	TLS_CERT_FILE: z.string().optional(),
	TLS_KEY_FILE: z.string().optional(),
	LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
	...Object.fromEntries(PLATFORM_KEYS.map((key) => [`CHATMAI_${key}_API_URL`, url(['http:', 'https:']).optional()])),
	...Object.fromEntries(PLATFORM_KEYS.map((key) => [`CHATMAI_${key}_AUTH_URL`, url(['http:', 'https:']).optional()])),
	...Object.fromEntries(APP_VARIABLES.map((name) => [name, z.string().trim().min(1).optional()]))
});

export type { Platform };

/** Everything the process reads from its environment, checked once at start-up. */
export interface Config {
	env: 'development' | 'production' | 'test';
	port: number;
	host: string;
	/** The public origin (scheme://host[:port]); decides Secure cookies and CSRF checks. */
	origin: string | undefined;
	/** A real PostgreSQL server, or undefined to run on the embedded PGlite. */
	databaseUrl: string | undefined;
	dataDir: string;
	/** Seed a demo workspace on an empty database. @default true when embedded, false otherwise */
	seedDemo: boolean;
	workers: boolean;
	encryptionKeys: string | undefined;
	sessionDays: number;
	dbPoolSize: number;
	/** Sign-ups allowed from one IP address per hour. @default 10 */
	signupLimitPerHour: number;
	/** Log-in attempts allowed from one IP address per 15 minutes (a whole office may share one). @default 30 */
	loginLimitPerIp: number;
	/** Open collab WebSockets allowed from one IP address (a shop behind one NAT shares one). @default 200 */
	socketsPerIp: number;
	/**
	 * Behind a proxy, the header holding the client address (adapter-node's `ADDRESS_HEADER`) and,
	 * for `x-forwarded-for`, which entry from the right (`XFF_DEPTH`, default 1).
	 */
	addressHeader: { name: string; xffDepth: number } | undefined;
	redisUrl: string | undefined;
	/**
	 * Where e-mail goes: an SMTP server (`smtp://user:pass@host:587`, `smtps://…:465`), or undefined
	 * to print each mail's link to the log instead. @default undefined
	 */
	smtpUrl: string | undefined;
	/** The sender of every e-mail. @default 'ChatMai <chatmai@localhost>' */
	mailFrom: string;
	ollamaHost: string;
	ollamaModel: string;
	tls: { certFile: string; keyFile: string } | undefined;
	logLevel: 'debug' | 'info' | 'warn' | 'error';
	/** Overrides of each platform's API base URL (tests and simulators point these at fakes). */
	platformApiUrls: Partial<Record<Platform, string>>;
	/** Overrides of the host of each platform's authorization page and token service (tests point these at fakes). */
	platformAuthUrls: Partial<Record<Platform, string>>;
	/** The deployment's apps (Meta, Shopee partner, Lazada, TikTok Shop); read through platform-apps.ts. */
	platformApps: PlatformAppSettings;
}

/** App id and secret per platform app; Facebook and Instagram share the Meta app. */
export interface PlatformAppSettings {
	meta?: { id: string; secret: string };
	shopee?: { id: string; secret: string };
	lazada?: { id: string; secret: string };
	tiktok?: { id: string; secret: string; serviceId?: string };
}

export class ConfigError extends Error {
	readonly problems: string[];
	constructor(problems: string[]) {
		super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
		this.problems = problems;
	}
}

/** Reads and validates the environment: one clear line per bad value. */
export function readConfig(source: Record<string, string | undefined> = process.env): Config {
	const input = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
	const parsed = schema.safeParse(input);
	if (!parsed.success) {
		throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
	}
	const env = parsed.data as z.infer<typeof schema> & Record<string, string | undefined>;
	const problems: string[] = [];
	if (Boolean(env.TLS_CERT_FILE) !== Boolean(env.TLS_KEY_FILE)) {
		problems.push('TLS_CERT_FILE and TLS_KEY_FILE: set both or neither');
	}
	if (env.NODE_ENV === 'production' && env.DATABASE_URL && !env.CHATMAI_ENCRYPTION_KEYS) {
		problems.push('CHATMAI_ENCRYPTION_KEYS: required in production with an external database (id:base64-32-byte-key)');
	}
	const apps: PlatformAppSettings = {};
	for (const [app, [idName, secretName]] of Object.entries(APP_SETTINGS)) {
		const id = env[idName];
		const secret = env[secretName];
		if (Boolean(id) !== Boolean(secret)) problems.push(`${idName} and ${secretName}: set both or neither`);
		else if (id && secret) apps[app.toLowerCase() as keyof PlatformAppSettings] = { id, secret };
	}
	if (apps.tiktok && env.CHATMAI_TIKTOK_SERVICE_ID) apps.tiktok.serviceId = env.CHATMAI_TIKTOK_SERVICE_ID;
	if (problems.length) throw new ConfigError(problems);
	return {
		env: env.NODE_ENV,
		port: env.PORT,
		host: env.HOST,
		origin: env.ORIGIN?.replace(/\/$/, ''),
		databaseUrl: env.DATABASE_URL,
		dataDir: env.CHATMAI_DATA_DIR,
		seedDemo: env.CHATMAI_SEED_DEMO ?? !env.DATABASE_URL,
		workers: env.CHATMAI_WORKERS,
		encryptionKeys: env.CHATMAI_ENCRYPTION_KEYS,
		sessionDays: env.CHATMAI_SESSION_DAYS,
		dbPoolSize: env.CHATMAI_DB_POOL_SIZE,
		signupLimitPerHour: env.CHATMAI_SIGNUP_LIMIT_PER_HOUR,
		loginLimitPerIp: env.CHATMAI_LOGIN_LIMIT_PER_IP,
		socketsPerIp: env.CHATMAI_SOCKETS_PER_IP,
		addressHeader: env.ADDRESS_HEADER ? { name: env.ADDRESS_HEADER, xffDepth: env.XFF_DEPTH } : undefined,
		redisUrl: env.REDIS_URL,
		smtpUrl: env.SMTP_URL,
		mailFrom: env.MAIL_FROM,
		ollamaHost: env.OLLAMA_HOST.replace(/\/$/, ''),
		ollamaModel: env.OLLAMA_MODEL,
		tls: env.TLS_CERT_FILE && env.TLS_KEY_FILE ? { certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE } : undefined,
		logLevel: env.LOG_LEVEL,
		platformApiUrls: Object.fromEntries(
			PLATFORM_KEYS.flatMap((key) => {
				const value = env[`CHATMAI_${key}_API_URL`];
				return value ? [[key.toLowerCase(), value.replace(/\/$/, '')]] : [];
			})
		),
		platformAuthUrls: Object.fromEntries(
			PLATFORM_KEYS.flatMap((key) => {
				const value = env[`CHATMAI_${key}_AUTH_URL`];
				return value ? [[key.toLowerCase(), value.replace(/\/$/, '')]] : [];
			})
		),
		platformApps: apps
	};
}
