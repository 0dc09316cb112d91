import { afterEach, describe, expect, it } from 'vitest'
import TimelineChart from '../src/components/TimelineChart.vue'
import { buildTimeline } from '../src/lib/timeline.js'
import { mountWith } from './mount.js'
import { START, checkpoints, events, group, hosts, lines, segments } from './fixtures.js'

let wrapper
afterEach(() => wrapper?.unmount())
const model = buildTimeline({ group, checkpoints, segments, lines, events, hosts, nowMs: START + 13.5 * 2000 })

describe('TimelineChart', () => {
  it('draws a lane per VM and a mark per checkpoint, forced ones as diamonds', () => {
    wrapper = mountWith(TimelineChart, { props: { model } })
    expect(wrapper.findAll('[data-testid="lane"]')).toHaveLength(3)
    const marks = wrapper.findAll('[data-testid="checkpoint"]')
    expect(marks).toHaveLength(checkpoints.length)
    const forced = marks.filter((m) => m.attributes('data-forced') === 'true')
    expect(forced).toHaveLength(1)
    expect(forced[0].find('rect').exists()).toBe(true)
    expect(marks.filter((m) => m.attributes('data-state') === 'DISCARDED')).toHaveLength(1)
    expect(wrapper.findAll('[data-testid="segment"]')).toHaveLength(2)
  })

  it('draws the current line through each VM’s checkpoint, and the previous one dashed', () => {
    wrapper = mountWith(TimelineChart, { props: { model } })
    const line = wrapper.find('[data-testid="recovery-line"]')
    expect(line.attributes('data-index')).toBe('6')
    const xs = line.find('polyline').attributes('points').split(' ').map((p) => Number(p.split(',')[0]))
    expect(new Set(xs).size).toBe(1) // all three VMs restore checkpoint 6: a straight line
    const previous = wrapper.find('[data-testid="previous-line"] ').attributes('points').split(' ').map((p) => Number(p.split(',')[0]))
    expect(previous[0]).toBeLessThan(xs[0])
  })

  it('marks the failure with the lanes it rolled back', () => {
    wrapper = mountWith(TimelineChart, { props: { model } })
    const failure = wrapper.find('[data-testid="failure"]')
    expect(failure.text()).toContain('host h2')
    expect(failure.text()).toContain('3 replayed')
    expect(failure.findAll('line')).toHaveLength(2)
  })
})
