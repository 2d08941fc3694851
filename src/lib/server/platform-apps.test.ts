import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from './env.ts';
import { appCredentials } from './platform-apps.ts';

describe('platform apps from the environment', () => {
	it('gives Facebook and Instagram the one Meta app, each shop its own, and LINE none', () => {
		const config = readConfig({
			CHATMAI_META_APP_ID: '1517776481860111',
			CHATMAI_META_APP_SECRET: 'meta-secret',
			CHATMAI_TIKTOK_APP_KEY: '68xu9ks5p4i8',
			CHATMAI_TIKTOK_APP_SECRET: 'tiktok-secret',
			CHATMAI_TIKTOK_SERVICE_ID: '7221998893434570565',
			CHATMAI_SHOPEE_AUTH_URL: 'http://127.0.0.1:9/'
		});
		expect(appCredentials(config, 'facebook')).toEqual({ id: '1517776481860111', secret: 'meta-secret' });
		expect(appCredentials(config, 'instagram')).toBe(appCredentials(config, 'facebook'));
		expect(appCredentials(config, 'tiktok')).toEqual({ id: '68xu9ks5p4i8', secret: 'tiktok-secret', serviceId: '7221998893434570565' });
		expect(appCredentials(config, 'shopee')).toBeNull();
		expect(appCredentials(config, 'line')).toBeNull();
		expect(config.platformAuthUrls).toEqual({ shopee: 'http://127.0.0.1:9' });
	});

	it('refuses to start with an app id and no secret, naming both variables', () => {
		expect(() => readConfig({ CHATMAI_SHOPEE_PARTNER_ID: '2001887' })).toThrow(ConfigError);
		expect(() => readConfig({ CHATMAI_SHOPEE_PARTNER_ID: '2001887' })).toThrow(/CHATMAI_SHOPEE_PARTNER_ID and CHATMAI_SHOPEE_PARTNER_KEY: set both or neither/);
	});
});
