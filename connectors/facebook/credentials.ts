/** Meta app secret and Page access token, shared by Facebook and Instagram (see ../shared/meta.ts). */
export { metaCredentialSchema as credentialSchema, type MetaCredentials } from '../shared/meta.ts';
