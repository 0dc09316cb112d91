import { describe, expect, it } from 'vitest'
import { recoveryRows } from '../src/lib/recoveries.js'
import { events, group, hosts } from './fixtures.js'

describe('recoveryRows', () => {
  it('names the failed host and the rolled-back VMs, with detection and recovery times', () => {
    const [row] = recoveryRows({ groups: [group], eventsByGroup: { 'g-1': events }, hosts })
    expect(row).toMatchObject({ groupName: 'web', failed: 'host h2', rolledBack: [1, 0], replayed: 3, lineIndex: 6,
      state: 'SUCCEEDED', recoveryMs: 4000 })
    // h2 last heard at its lease end (boundary 9, 18 s) minus the 3 s lease = 15 s; the recovery started at 20 s.
    expect(row.detectionMs).toBe(5000)
  })

  it('does not guess the detection time once the host has a new lease', () => {
    const rejoined = hosts.map((h) => (h.id === 'h-2' ? { ...h, leasestate: 'ACTIVE' } : h))
    expect(recoveryRows({ groups: [group], eventsByGroup: { 'g-1': events }, hosts: rejoined })[0].detectionMs).toBeNull()
  })

  it('orders events newest first across groups', () => {
    const other = { ...group, id: 'g-2', name: 'db' }
    const later = { ...events[0], id: 'e-2', started: '2026-01-31T13:00:00+0000' }
    const rows = recoveryRows({ groups: [group, other], eventsByGroup: { 'g-1': events, 'g-2': [later] }, hosts })
    expect(rows.map((r) => r.groupName)).toEqual(['db', 'web'])
  })
})
