// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { canonical, encodeValue, sign, toQuery } from '../src/api/signing.js'

// The vector server-ext's SignaturesTest checks the Java signer against (computed by the README's shell recipe).
const params = { command: 'createProtectionGroup', name: 'web tier', baseperiod: '60000', response: 'json', apiKey: 'test-api-key' }

describe('signing', () => {
  it('builds the canonical string the manager signs', () => {
    expect(canonical(params)).toBe('apikey=test-api-key&baseperiod=60000&command=createprotectiongroup&name=web%20tier&response=json')
  })

  it('signs as the manager does, and ignores a signature already there', async () => {
    expect(await sign(params, 'test-secret')).toBe('+uWjHb7AC3K3cwTmjR7lV+K+fN0=')
    expect(await sign({ ...params, signature: 'ignored' }, 'test-secret')).toBe('+uWjHb7AC3K3cwTmjR7lV+K+fN0=')
    expect(await sign(params, 'another-secret')).not.toBe('+uWjHb7AC3K3cwTmjR7lV+K+fN0=')
  })

  it("encodes values as Java's URLEncoder, a space as %20", () => {
    expect(encodeValue('a b+c&d=e/f')).toBe('a%20b%2Bc%26d%3De%2Ff')
    expect(encodeValue("!'()~*-._")).toBe('%21%27%28%29%7E*-._')
    expect(encodeValue('é')).toBe('%C3%A9')
  })

  it('sends a query that decodes to what was signed', () => {
    const q = new URLSearchParams(toQuery({ name: "it's 100% (ok) ~ yes" }))
    expect(q.get('name')).toBe("it's 100% (ok) ~ yes")
  })

  it('says why when there is no WebCrypto', async () => {
    await expect(sign(params, 's', null)).rejects.toThrow(/https or on 127\.0\.0\.1/)
  })
})
