import { describe, expect, it } from 'vitest'
import { buildTimeline } from '../src/lib/timeline.js'
import { START, checkpoints, events, group, hosts, lines, segments } from './fixtures.js'

const model = (extra = {}) => buildTimeline({ group, checkpoints, segments, lines, events, hosts, nowMs: START + 13.5 * 2000, ...extra })

describe('buildTimeline', () => {
  it('has one lane per VM, in the order the protocol numbers them, with class and host', () => {
    const m = model()
    expect(m.lanes.map((l) => l.label)).toEqual(['VM 0', 'VM 1', 'VM 2'])
    expect(m.lanes[1]).toMatchObject({ vmClass: 'MI_2', host: 'h2' })
  })

  it('puts each checkpoint on its boundary, forced ones marked, and MI log segments as spans', () => {
    const vmA = model().lanes[0]
    expect(vmA.checkpoints.map((c) => c.index)).toEqual([3, 4, 5, 6, 7])
    expect(vmA.checkpoints.filter((c) => c.forced).map((c) => c.index)).toEqual([5])
    expect(model().lanes[1].segments).toEqual([{ from: 4, to: 5, state: 'STABLE' }, { from: 6, to: 7, state: 'STAGED' }])
  })

  it("draws a re-execution's live checkpoint over the one its recovery discarded at the same boundary", () => {
    // As the API lists them: newest first, so the re-execution's checkpoint comes before the discarded one.
    const again = [{ ...checkpoints.find((c) => c.id === 'vm-b-8'), id: 'vm-b-8-again', state: 'STABLE', incarnation: 1 }, ...checkpoints]
    const vmB = model({ checkpoints: again }).lanes[1].checkpoints
    const atEight = vmB.filter((c) => c.index === 8)
    expect(atEight.map((c) => c.state)).toEqual(['DISCARDED', 'STABLE'])
    expect(vmB.at(-1)).toMatchObject({ index: 8, state: 'STABLE', incarnation: 1 })
  })

  it('ends the grid at the boundary the group is at, and shows only the last `window` boundaries', () => {
    expect(model()).toMatchObject({ first: 0, last: 13 })
    const narrow = model({ window: 5 })
    expect(narrow).toMatchObject({ first: 9, last: 13 })
    expect(narrow.lanes[0].checkpoints).toEqual([])
  })

  it('draws the newest line through each VM’s checkpoint, and keeps the one before to show the move', () => {
    const m = model()
    expect(m.current).toMatchObject({ index: 6, perVm: [6, 6, 6] })
    expect(m.previous).toMatchObject({ index: 4, perVm: [4, 4, 4] })
    expect(m.moves.map((mv) => [mv.at, mv.index])).toEqual([[5.5, 4], [7.5, 6]])
  })

  it('places a recovery at the time it ran, with the lanes it rolled back', () => {
    const [f] = model().failures
    expect(f).toMatchObject({ at: 10, until: 12, lineIndex: 6, failed: 'host h2', rolledBackLanes: [1, 0], replayed: 3 })
  })

  it('before the group starts: no times, no failures, still one lane per VM', () => {
    const m = buildTimeline({ group: { ...group, started: undefined }, nowMs: START })
    expect(m.nowIndex).toBeNull()
    expect(m.lanes).toHaveLength(3)
    expect(m.current).toBeNull()
  })
})
