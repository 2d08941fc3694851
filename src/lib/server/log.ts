/**
 * Structured logs: one JSON object per line with a scope and ids. Never pass message text or
 * tokens here.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

const levels = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof levels;

// Kept on globalThis: the routes are bundled with their own copy of this module, and the level
// server/ sets at start-up must reach both.
const KEY = Symbol.for('chatmai.logLevel');
type Holder = { [KEY]?: number };
const holder = globalThis as Holder;
holder[KEY] ??= levels[process.env.LOG_LEVEL as Level] ?? levels.info;

export function setLogLevel(level: Level): void {
	holder[KEY] = levels[level];
}

function write(level: Level, scope: string, event: string, fields?: LogFields): void {
	if (levels[level] < (holder[KEY] ?? levels.info)) return;
	const line = JSON.stringify({ t: new Date().toISOString(), level, scope, event, ...fields });
	if (level === 'error' || level === 'warn') process.stderr.write(line + '\n');
	else process.stdout.write(line + '\n');
}

export interface Logger {
	debug(event: string, fields?: LogFields): void;
	info(event: string, fields?: LogFields): void;
	warn(event: string, fields?: LogFields): void;
	error(event: string, fields?: LogFields): void;
}

export function logger(scope: string): Logger {
	return {
		debug: (event, fields) => write('debug', scope, event, fields),
		info: (event, fields) => write('info', scope, event, fields),
		warn: (event, fields) => write('warn', scope, event, fields),
		error: (event, fields) => write('error', scope, event, fields)
	};
}

export function errorMessage(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
