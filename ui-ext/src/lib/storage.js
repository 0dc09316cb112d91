// Storage per VM and per host from the checkpoints and log segments the catalog lists (removed ones included);
// per host, checkpoints count where they were taken, so a failed host keeps what it stored.
// Collectable: live artifacts behind the current recovery line, which the next collection deletes: a VM's
// checkpoints older than the one the line restores, and its log segments that end at or before that checkpoint.
// Full and incremental: a VM's first checkpoint on a host stores its whole image there (a full pass), later ones
// there store only the chunks that changed; which host took a checkpoint is its `hostid`. These figures count
// what was written, collected checkpoints included (a full pass is soon behind the line), discarded ones not.

const LIVE = new Set(['STAGED', 'STABLE'])

function emptyRow(key, label) {
  return { key, label, stagedBytes: 0, stableBytes: 0, collectableBytes: 0, fullBytes: 0, fullPasses: 0,
    incrementalBytes: 0, incrementals: 0, checkpoints: 0, segments: 0, collected: 0 }
}

function add(row, artifact, collectable, isCheckpoint) {
  if (!LIVE.has(artifact.state)) {
    if (artifact.state === 'COLLECTED') row.collected++
    return
  }
  if (artifact.state === 'STAGED') row.stagedBytes += artifact.size
  else row.stableBytes += artifact.size
  if (collectable) row.collectableBytes += artifact.size
  if (isCheckpoint) row.checkpoints++
  else row.segments++
}

/** The checkpoints (by id) that were their VM's first on their host: full passes. Discarded ones never count. */
export function fullPasses(checkpoints) {
  const seen = new Set()
  const full = new Set()
  const ordered = checkpoints.filter((c) => c.state !== 'DISCARDED').sort((a, b) => a.index - b.index)
  for (const c of ordered) {
    const key = `${c.virtualmachineid} ${c.hostid ?? ''}`
    if (!seen.has(key)) full.add(c.id)
    seen.add(key)
  }
  return full
}

/** A mean incremental checkpoint's size against a mean full pass's, in per cent; null without both. */
export function incrementalShare(row) {
  if (!row.fullPasses || !row.incrementals || !row.fullBytes) return null
  return (100 * (row.incrementalBytes / row.incrementals)) / (row.fullBytes / row.fullPasses)
}

export function storageRows({ group, checkpoints = [], segments = [], line = null, hosts = [] }) {
  const members = [...(group.vm ?? [])].sort((a, b) => a.number - b.number)
  const memberOf = new Map(members.map((m) => [m.virtualmachineid, m]))
  const lineCheckpoint = new Map((line?.entry ?? []).map((e) => [e.virtualmachineid, e.checkpointindex]))
  const behind = (vmId, index, inclusive) => {
    const at = lineCheckpoint.get(vmId)
    return at !== undefined && (inclusive ? index <= at : index < at)
  }
  const hostName = (id) => hosts.find((h) => h.id === id)?.name ?? (id ? id.slice(0, 8) : 'no host')
  const byVm = new Map(members.map((m) => [m.virtualmachineid,
    { ...emptyRow(m.virtualmachineid, `VM ${m.number}`), host: hostName(m.hostid), vmClass: m.vmclass }]))
  // A host's row: the VMs it runs now, and what was stored there: a checkpoint where it was taken (its hostid),
  // a log segment (which names no host) where its VM runs now.
  const byHost = new Map()
  const hostRow = (id) => {
    const key = id ?? 'none'
    if (!byHost.has(key)) byHost.set(key, { ...emptyRow(key, hostName(id)), vms: 0 })
    return byHost.get(key)
  }
  for (const m of members) hostRow(m.hostid).vms++
  const full = fullPasses(checkpoints)
  for (const c of checkpoints) {
    const member = memberOf.get(c.virtualmachineid)
    if (!member) continue
    for (const row of [byVm.get(c.virtualmachineid), hostRow(c.hostid ?? member.hostid)]) {
      add(row, c, behind(c.virtualmachineid, c.index, false), true)
      if (c.state === 'DISCARDED') continue
      if (full.has(c.id)) { row.fullBytes += c.size; row.fullPasses++ } else { row.incrementalBytes += c.size; row.incrementals++ }
    }
  }
  for (const s of segments) {
    const member = memberOf.get(s.virtualmachineid)
    if (!member) continue
    for (const row of [byVm.get(s.virtualmachineid), hostRow(member.hostid)]) add(row, s, behind(s.virtualmachineid, s.index, true), false)
  }
  return { vms: [...byVm.values()], hosts: [...byHost.values()] }
}
