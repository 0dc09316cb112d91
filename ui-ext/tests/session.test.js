import { describe, expect, it } from 'vitest'
import { cloudStackSession, forgetKeys, saveKeys, savedKeys } from '../src/api/session.js'

const store = (entries = {}) => {
  const m = new Map(Object.entries(entries))
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, v), removeItem: (k) => m.delete(k) }
}

describe('session', () => {
  it("reads CloudStack UI's session key as its storage plugin writes it", () => {
    expect(cloudStackSession(store({ 'primate__Access-Token': '{"value":"abc","expire":null}' })))
      .toEqual({ kind: 'session', sessionKey: 'abc' })
    expect(cloudStackSession(store({ 'primate__Access-Token': 'plain' }))).toEqual({ kind: 'session', sessionKey: 'plain' })
    expect(cloudStackSession(store({ 'primate__Access-Token': '{"value":""}' }))).toBeNull()
    expect(cloudStackSession(store())).toBeNull()
  })

  it('keeps the standalone keys for the tab, and forgets them', () => {
    const s = store()
    expect(savedKeys(s)).toBeNull()
    saveKeys({ apiKey: 'a', secretKey: 'b' }, s)
    expect(savedKeys(s)).toEqual({ kind: 'keys', apiKey: 'a', secretKey: 'b' })
    forgetKeys(s)
    expect(savedKeys(s)).toBeNull()
    expect(savedKeys(store({ 'vmqsc.apikeys': '{broken' }))).toBeNull()
  })
})
