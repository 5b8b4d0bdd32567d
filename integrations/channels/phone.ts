/**
 * Vietnamese mobile numbers at the edge of the Zalo and SMS channels. Numbers arrive in E.164
 * (+84…); each provider wants its own form: Zalo `84xxxxxxxxx`, the SMS gateways `0xxxxxxxxx`.
 */

/**
 * Mobile national significant numbers (9 digits after 0 or 84), as libphonenumber's Vietnam
 * metadata has them: Viettel 3x/86/96–98, MobiFone 70/76–79/89/90/93, VinaPhone 81–85/88/91/94,
 * Vietnamobile 52/56/58/92, Gmobile 59/99, Itel 87, Reddi 55 and the newer ranges.
 */
const MOBILE_NSN = /^(?:(?:5(?:2[238]|59)|89[6-9]|99[013-9])\d{6}|(?:3\d|5[689]|7[06-9]|8[1-8]|9[0-8])\d{7})$/;

/** The 9-digit national number of a Vietnamese mobile, or null when it is not one. */
export function vnMobileNsn(input: string): string | null {
  const digits = input.replace(/[\s.\-()]/g, "");
  let nsn: string;
  if (/^\+84\d+$/.test(digits)) nsn = digits.slice(3);
  else if (/^84\d{9}$/.test(digits)) nsn = digits.slice(2);
  else if (/^0\d{9}$/.test(digits)) nsn = digits.slice(1);
  else return null;
  return MOBILE_NSN.test(nsn) ? nsn : null;
}

/** Zalo's form: 84 and the 9 digits, no '+'. */
export const zaloPhone = (input: string) => {
  const nsn = vnMobileNsn(input);
  return nsn ? `84${nsn}` : null;
};

/** The SMS gateways' national form: 0 and the 9 digits. */
export const nationalPhone = (input: string) => {
  const nsn = vnMobileNsn(input);
  return nsn ? `0${nsn}` : null;
};
