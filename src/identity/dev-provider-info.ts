/** Where the embedded development identity provider lives, relative to Okno's public URL. */
export const DEV_IDP_PATH = '/dev-idp';

export function devIssuer(publicUrl: string): string {
  return publicUrl.replace(/\/+$/, '') + DEV_IDP_PATH;
}
