// The timeline's picture as data: one lane per VM, x in base periods (boundary index), from what the API lists.
// Pure, so the component only draws and the tests check the geometry's meaning.
import { parseDate } from './format.js'

const isLive = (c) => (c.state === 'STAGED' || c.state === 'STABLE' ? 1 : 0)

/** How many base periods the picture shows, ending at the newest boundary. */
export const DEFAULT_WINDOW = 24

/**
 * @param group       a protectiongroup (baseperiod, started, vm[])
 * @param checkpoints vmcheckpoint[] (collected and discarded ones included, to show history)
 * @param segments    logsegment[]
 * @param lines       recoveryline[]
 * @param events      recoveryevent[]
 * @param nowMs       the current time, for the boundary the group is at
 */
export function buildTimeline({ group, checkpoints = [], segments = [], lines = [], events = [], hosts = [],
  nowMs = Date.now(), window = DEFAULT_WINDOW }) {
  const t0 = group.baseperiod
  const startedMs = parseDate(group.started)
  const toIndex = (ms) => (startedMs === null || ms === null ? null : (ms - startedMs) / t0)
  const members = [...(group.vm ?? [])].sort((a, b) => a.number - b.number)

  const nowIndex = toIndex(nowMs)
  const newestArtifact = Math.max(0, ...checkpoints.map((c) => c.index), ...segments.map((s) => s.index))
  const last = Math.max(newestArtifact, nowIndex === null ? 0 : Math.floor(nowIndex))
  const first = Math.max(0, last - window + 1)
  const inView = (i) => i >= first && i <= last

  const sortedLines = [...lines].sort((a, b) => a.index - b.index)
  const current = sortedLines.at(-1) ?? null
  const previous = sortedLines.length > 1 ? sortedLines.at(-2) : null
  const hostName = (id) => hosts.find((h) => h.id === id)?.name ?? (id ? id.slice(0, 8) : '—')

  const lanes = members.map((m) => ({
    vmId: m.virtualmachineid,
    label: `VM ${m.number}`,
    vmClass: m.vmclass,
    host: hostName(m.hostid),
    checkpoints: checkpoints
      .filter((c) => c.virtualmachineid === m.virtualmachineid && inView(c.index))
      .map((c) => ({ index: c.index, forced: !!c.forced, state: c.state, incarnation: c.incarnation }))
      // Drawn in this order: history (collected, discarded) first, so a re-execution's live checkpoint at the same
      // boundary is drawn over the one its recovery discarded.
      .sort((a, b) => isLive(a) - isLive(b) || a.index - b.index),
    segments: segments
      .filter((s) => s.virtualmachineid === m.virtualmachineid && s.index >= first && s.firstindex <= last)
      .map((s) => ({ from: Math.max(s.firstindex, first), to: s.index, state: s.state })),
  }))

  const lineAt = (line) => line && {
    index: line.index,
    createdIndex: toIndex(parseDate(line.created)),
    perVm: members.map((m) => line.entry?.find((e) => e.virtualmachineid === m.virtualmachineid)?.checkpointindex ?? null),
  }

  const failures = events
    .map((e) => ({
      id: e.id,
      at: toIndex(parseDate(e.started)),
      until: toIndex(parseDate(e.finished)),
      lineIndex: e.lineindex ?? null,
      state: e.state,
      failed: e.failurekind === 'HOST' ? `host ${hostName(e.failedid)}` : `VM ${members.find((m) => m.virtualmachineid === e.failedid)?.number ?? '?'}`,
      rolledBackLanes: (e.rolledback ?? []).map((vm) => members.findIndex((m) => m.virtualmachineid === vm)).filter((i) => i >= 0),
      replayed: e.replayedmessages ?? 0,
    }))
    .filter((f) => f.at !== null && f.at >= first - 1 && f.at <= last + 1)

  // The line's moves: (when it moved, in base periods; which index it moved to), for the strip above the lanes.
  const moves = sortedLines
    .map((l) => ({ at: toIndex(parseDate(l.created)), index: l.index }))
    .filter((m) => m.at !== null && m.at >= first - 1)

  return { first, last, nowIndex, t0, lanes, current: lineAt(current), previous: lineAt(previous), failures, moves }
}
