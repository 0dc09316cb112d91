// CloudStack's request signature, as the manager (and CloudStack's ApiServer) checks it:
// every parameter but `signature`, sorted by name as sent, each `name=value` with the value URL-encoded the way
// Java's URLEncoder does (a space as %20), joined by '&', the whole string lower-cased, HMAC-SHA1 with the secret
// key, Base64.

/** Java's URLEncoder leaves only A-Z a-z 0-9 . - * _ as they are; encodeURIComponent also leaves ! ~ ' ( ). */
export function encodeValue(value) {
  return encodeURIComponent(String(value)).replace(/[!'()~]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
}

/** The string that is signed. */
export function canonical(params) {
  return Object.keys(params)
    .filter((name) => name.toLowerCase() !== 'signature')
    .sort() // by UTF-16 code units, as Java's TreeMap orders Strings
    .map((name) => `${name}=${encodeValue(params[name])}`)
    .join('&')
    .toLowerCase()
}

/** Base64 of HMAC-SHA1(secret, canonical(params)), with the browser's WebCrypto. */
export async function sign(params, secretKey, subtle = globalThis.crypto?.subtle) {
  if (!subtle) {
    throw new Error('This browser offers no WebCrypto here: open the page over https or on 127.0.0.1/localhost')
  }
  const utf8 = new TextEncoder()
  const key = await subtle.importKey('raw', utf8.encode(secretKey), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign'])
  const mac = new Uint8Array(await subtle.sign('HMAC', key, utf8.encode(canonical(params))))
  let binary = ''
  for (const b of mac) binary += String.fromCharCode(b)
  return btoa(binary)
}

/** A query string whose values decode to exactly what was signed. */
export function toQuery(params) {
  return Object.keys(params).map((name) => `${encodeValue(name)}=${encodeValue(params[name])}`).join('&')
}
