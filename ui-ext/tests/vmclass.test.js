import { describe, expect, it } from 'vitest'
import { describeClass, VM_CLASS_HELP } from '../src/lib/vmclass.js'

describe('vmclass', () => {
  it('says when a class checkpoints, phase included', () => {
    expect(describeClass('SI')).toBe('every T0')
    expect(describeClass('MI_4')).toBe('every 4·T0, at n mod 4 = 0')
    expect(describeClass('MI_4@2')).toBe('every 4·T0, at n mod 4 = 2')
    expect(describeClass('mi_3@1')).toBe('every 3·T0, at n mod 3 = 1')
  })

  it('knows no class the API would refuse', () => {
    for (const bad of ['MI_4@4', 'MI_4@-1', 'MI_1@0', 'SI@1', 'MI_4@x', 'XL', '', null]) expect(describeClass(bad)).toBeNull()
  })

  it('explains the phase in the help', () => {
    expect(VM_CLASS_HELP).toContain('MI_k@φ (0 ≤ φ < k)')
    expect(VM_CLASS_HELP).toContain('n mod k = φ')
    expect(VM_CLASS_HELP).toContain('MI_k is MI_k@0')
  })
})
