// Where the credentials come from.
//  - Inside CloudStack's UI (this page in its plugin iframe, same origin): CloudStack's UI keeps the session key
//    in localStorage under `primate__Access-Token` (its storage plugin writes {"value": ..., "expire": ...}).
//  - Standalone: the API key pair the admin signed in with, kept in sessionStorage (gone with the tab).
const CLOUDSTACK_KEY = 'primate__Access-Token'
const KEYS = 'vmqsc.apikeys'

export function cloudStackSession(storage = globalThis.localStorage) {
  const raw = storage?.getItem(CLOUDSTACK_KEY)
  if (!raw) return null
  let key = raw
  try {
    const parsed = JSON.parse(raw)
    key = typeof parsed === 'object' && parsed !== null ? parsed.value : parsed
  } catch { /* a bare string */ }
  if (typeof key !== 'string' || key === '') return null
  return { kind: 'session', sessionKey: key }
}

export function savedKeys(storage = globalThis.sessionStorage) {
  try {
    const saved = JSON.parse(storage?.getItem(KEYS) ?? 'null')
    return saved?.apiKey && saved?.secretKey ? { kind: 'keys', ...saved } : null
  } catch {
    return null
  }
}

export function saveKeys({ apiKey, secretKey }, storage = globalThis.sessionStorage) {
  storage?.setItem(KEYS, JSON.stringify({ apiKey, secretKey }))
}

export function forgetKeys(storage = globalThis.sessionStorage) {
  storage?.removeItem(KEYS)
}
