// VM classes as the API spells them: SI, MI_k, MI_k@φ.

/** What a class means, for the class fields' help. */
export const VM_CLASS_HELP = 'SI: a checkpoint every T0. MI_k (k ≥ 2): every k·T0, its receive log written in between.'
  + ' MI_k@φ (0 ≤ φ < k): the same at the base boundaries n with n mod k = φ, e.g. MI_4@2 at n = 2, 6, 10…;'
  + ' MI_k is MI_k@0. A phase puts the checkpoint right after the periods in which the VM receives most.'

/** A class in words ("every 4·T0, at n mod 4 = 2"); null for text that is no class. */
export function describeClass(text) {
  const s = (text ?? '').trim().toUpperCase()
  if (s === 'SI') return 'every T0'
  const m = /^MI_?(\d+)(?:@(\d+))?$/.exec(s)
  if (!m) return null
  const k = Number(m[1])
  const phase = m[2] === undefined ? 0 : Number(m[2])
  if (k < 2 || phase >= k) return null
  return `every ${k}·T0, at n mod ${k} = ${phase}`
}
