import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import webpush from 'web-push';
import type { Config } from '../src/lib/server/env.ts';
import type { VapidKeys } from '../src/lib/server/push.ts';

/**
 * The VAPID key pair Web Push is signed with: generated once into the data folder
 * (`<CHATMAI_DATA_DIR>/vapid.json`, readable by this user only) and kept, since every browser's
 * subscription is bound to the public key. Instances that share a database must share the file.
 */
export async function loadVapidKeys(config: Config): Promise<VapidKeys> {
	const file = resolve(config.dataDir, 'vapid.json');
	const subject = `mailto:${/<([^>]+)>/.exec(config.mailFrom)?.[1] ?? 'chatmai@localhost'}`;
	try {
		const stored = JSON.parse(await readFile(file, 'utf8')) as { publicKey: string; privateKey: string };
		return { ...stored, subject };
	} catch {
		const keys = webpush.generateVAPIDKeys();
		await mkdir(dirname(file), { recursive: true });
		await writeFile(file, JSON.stringify(keys) + '\n', { mode: 0o600, flag: 'wx' }).catch(async (error) => {
			if (error.code !== 'EEXIST') throw error;
			Object.assign(keys, JSON.parse(await readFile(file, 'utf8')));
		});
		return { ...keys, subject };
	}
}
