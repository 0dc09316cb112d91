package org.vmqsc.evaluation.policy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import org.vmqsc.evaluation.Failure;
import org.vmqsc.evaluation.MessageEvent;
import org.vmqsc.evaluation.VmClasses;
import org.vmqsc.evaluation.sim.Cut;
import org.vmqsc.evaluation.sim.RecoveryPlan;
import org.vmqsc.evaluation.sim.Replay;
import org.vmqsc.evaluation.sim.Restore;
import org.vmqsc.evaluation.sim.Source;

/**
 * VM_QSC: clock-driven checkpoints at base-period boundaries (SI every boundary, MI_k every k-th), the sender's
 * index (CSN) on every message with a forced checkpoint when it is ahead of the receiver's, volatile receive logs on
 * the hosts and stable log segments for MI VMs at the boundaries they skip.
 *
 * <p>Two readings, chosen by {@link Reading}:
 * <ul>
 *   <li>{@code PAPER}: the algorithm as the paper states it, and the harness's "vmqsc-paper" protocol. A receiver
 *       behind the message's index always takes a forced checkpoint (an MI VM too); late messages are not logged
 *       stably; the line counts checkpoints whether or not they reached stable storage; a host failure rolls back
 *       the failed VMs and the VMs that received from them ("the related nodes", one hop) and replays in-transit
 *       messages from stable logs only.</li>
 *   <li>{@code VMQSC}: the same rules with the open points closed the way the project closes them, written here
 *       independently of the protocol module. The harness runs the module itself as "vmqsc"
 *       ({@link VmQscRuntime}, which drives the shipping runtime); the tests use this reading as a cross-check of it. An MI VM that is not due at
 *       the message's index writes a log segment instead of a forced checkpoint; a late message is logged
 *       stably; the line moves only over stable checkpoints and segments; volatile copies on both hosts are kept
 *       until the line passes them; the rollback set is the failed VMs plus, transitively, every VM that would
 *       hold an orphan.</li>
 * </ul>
 */
public final class VmQsc extends AbstractPolicy {
  public enum Reading { PAPER, VMQSC }

  /** Paper: the CSN alone. vmqsc: CSN (8), sender incarnation (4), per-channel sequence number (8). */
  static final int PAPER_PIGGYBACK_BYTES = 4;
  static final int VMQSC_PIGGYBACK_BYTES = 20;

  private final Reading reading;
  private VmClasses classes;
  private long[] index;
  private long[] csnAtSend;
  /** Per VM, what it did at each boundary index it passed: a checkpoint or a log segment. */
  private List<TreeMap<Long, Boundary>> boundaries;
  /** Per VM, the messages it received, in receive order. */
  private List<List<Integer>> received;
  /** Per receiver, late messages logged stably (vmqsc reading only). */
  private boolean[] lateLogged;

  private record Boundary(long index, long position, double time, Checkpoint checkpoint, double stableAt) {
    boolean isCheckpoint() { return checkpoint != null; }
  }

  public VmQsc(Reading reading) {
    this.reading = reading;
  }

  @Override public String name() {
    return reading == Reading.PAPER ? "vmqsc-paper" : "vmqsc-rules";
  }

  @Override public void start(PolicyContext context) {
    super.start(context);
    classes = scenario.classes();
    int n = scenario.vms();
    index = new long[n];
    csnAtSend = new long[scenario.messages().size()];
    boundaries = new ArrayList<>();
    received = new ArrayList<>();
    lateLogged = new boolean[scenario.messages().size()];
    for (int v = 0; v < n; v++) {
      TreeMap<Long, Boundary> b = new TreeMap<>();
      b.put(0L, new Boundary(0, 0, 0, checkpoints.get(v).get(0), 0));
      boundaries.add(b);
      received.add(new ArrayList<>());
    }
    for (int h = 0; h < scenario.placement().hosts(); h++) scheduleBoundary(h, 1);
  }

  private void scheduleBoundary(int host, long n) {
    double t = scenario.boundaryTime(host, n);
    if (t >= scenario.duration()) return;   // like every protocol's rounds: none at the very end
    context.schedule(t, (time, pos) -> {
      for (int v : scenario.placement().vmsOn(host)) advance(v, n, time, pos, false);
      scheduleBoundary(host, n + 1);
    });
  }

  /** Moves VM v to index n, doing the boundary action of every index it passes. */
  private void advance(int v, long n, double time, long pos, boolean early) {
    while (index[v] < n) {
      long next = index[v] + 1;
      boolean due = classes.isDueAt(v, next);
      tally.controlMessages++;          // the host reports every boundary record to the manager
      if (due || (early && reading == Reading.PAPER)) {
        Checkpoint c = takeCheckpoint(v, next, time, Cut.at(pos), early);
        tally.pauseSeconds += cost.checkpointPauseSeconds();
        boundaries.get(v).put(next, new Boundary(next, pos, time, c, c.stableAt()));
      } else {
        writeSegment(v, next, time, pos);
      }
      index[v] = next;
    }
  }

  /** An MI VM skipping boundary n writes what it received since its previous boundary to stable storage. */
  private void writeSegment(int v, long n, double time, long pos) {
    long from = boundaries.get(v).lastEntry().getValue().position();
    long bytes = 0;
    for (int id : receivedBetween(v, from, pos)) {
      if (lateLogged[id]) continue;   // already on stable storage; the segment only refers to it
      bytes += scenario.messages().get(id).bytes();
      tally.loggedMessages++;
    }
    tally.loggedBytes += bytes;
    tally.storageWrite(time, bytes);
    double stableAt = time + bytes / cost.stableBytesPerSecond();
    boundaries.get(v).put(n, new Boundary(n, pos, time, null, stableAt));
  }

  private List<Integer> receivedBetween(int v, long fromPos, long toPos) {
    List<Integer> out = new ArrayList<>();
    List<Integer> list = received.get(v);
    for (int i = list.size() - 1; i >= 0; i--) {
      long rp = timeline.receivePos(list.get(i));
      if (rp < fromPos) break;
      if (rp < toPos) out.add(0, list.get(i));
    }
    return out;
  }

  /** The index each message carried; tests use it. */
  public long csnCarried(int message) { return csnAtSend[message]; }

  @Override public void onSend(MessageEvent m, long position) {
    csnAtSend[m.id()] = index[m.src()];
    tally.piggybackBytes += reading == Reading.PAPER ? PAPER_PIGGYBACK_BYTES : VMQSC_PIGGYBACK_BYTES;
  }

  @Override public void onReceive(MessageEvent m, long position) {
    int v = m.dst();
    long csn = csnAtSend[m.id()];
    if (csn > index[v]) {
      advance(v, csn, m.receiveTime(), position, true);
    } else if (csn < index[v] && reading == Reading.VMQSC) {
      lateLogged[m.id()] = true;
      tally.loggedMessages++;
      tally.loggedBytes += m.bytes();
      tally.storageWrite(m.receiveTime(), m.bytes());
    }
    received.get(v).add(m.id());
  }

  @Override public RecoveryPlan recover(Failure f, long position) {
    return f.kind() == Failure.Kind.VM ? recoverVm(f, position) : recoverHost(f, position);
  }

  /** The host survives: restart the VM from its latest checkpoint and replay its host's volatile log. */
  private RecoveryPlan recoverVm(Failure f, long position) {
    int v = f.target();
    Checkpoint c = latestUsable(v, f);
    List<Replay> replays = new ArrayList<>();
    for (int id : receivedBetween(v, c.cut().receivesBefore(), position)) replays.add(new Replay(id, Source.host(hostOf(v))));
    return new RecoveryPlan(f, position, List.of(new Restore(v, c.cut(), c.time(), c.sourceAt(f), Cut.at(position))), replays);
  }

  private RecoveryPlan recoverHost(Failure f, long position) {
    int n = scenario.vms();
    long line = lineIndex(f);
    Cut[] lineCut = new Cut[n];
    for (int v = 0; v < n; v++) lineCut[v] = Cut.at(boundaries.get(v).get(line).position());
    Set<Integer> rollback = new HashSet<>();
    for (int v = 0; v < n; v++) if (failedBy(f, v)) rollback.add(v);
    if (reading == Reading.PAPER) {
      addReceiversOfLostSends(rollback, new HashSet<>(rollback), lineCut, position);
    } else {
      while (addReceiversOfLostSends(rollback, new HashSet<>(rollback), lineCut, position)) {
        // until no VM outside the set holds a message its recovered sender has not sent
      }
    }
    Cut[] recovered = new Cut[n];
    List<Restore> restores = new ArrayList<>();
    List<Replay> replays = new ArrayList<>();
    for (int v = 0; v < n; v++) {
      recovered[v] = Cut.at(position);
      if (!rollback.contains(v)) continue;
      recovered[v] = lineCut[v];
      Boundary base = boundaries.get(v).floorEntry(line).getValue();
      while (!base.isCheckpoint()) base = boundaries.get(v).lowerEntry(base.index()).getValue();
      Checkpoint c = base.checkpoint();
      restores.add(new Restore(v, c.cut(), c.time(), c.sourceAt(f), lineCut[v]));
      // Rebuild the MI VM's state at the line from its stable log segments.
      for (Boundary seg : boundaries.get(v).subMap(base.index(), false, line, true).values()) {
        long from = boundaries.get(v).lowerEntry(seg.index()).getValue().position();
        for (int id : receivedBetween(v, from, seg.position())) replays.add(new Replay(id, Source.stable(seg.stableAt())));
      }
    }
    for (int v : rollback) {
      for (int id : receivedBetween(v, recovered[v].receivesBefore(), position)) {
        if (!recovered[scenario.messages().get(id).src()].hasSent(timeline, id)) continue;   // will be sent again
        Source s = inTransitSource(id, f);
        if (s != null) replays.add(new Replay(id, s));
      }
    }
    return new RecoveryPlan(f, position, restores, replays);
  }

  /** Adds every VM that received, before the failure, a message the set's recovered senders have not sent. */
  private boolean addReceiversOfLostSends(Set<Integer> rollback, Set<Integer> senders, Cut[] lineCut, long position) {
    boolean added = false;
    for (int w = 0; w < scenario.vms(); w++) {
      if (rollback.contains(w)) continue;
      for (int id : received.get(w)) {
        if (timeline.receivePos(id) >= position) break;
        int src = scenario.messages().get(id).src();
        if (senders.contains(src) && !lineCut[src].hasSent(timeline, id)) {
          rollback.add(w);
          added = true;
          break;
        }
      }
    }
    return added;
  }

  /** Where a message left in transit by the line is read from, or null if this reading has no copy of it. */
  private Source inTransitSource(int id, Failure f) {
    MessageEvent m = scenario.messages().get(id);
    double recv = m.receiveTime();
    if (reading == Reading.VMQSC && lateLogged[id] && recv + cost.logWriteSeconds() <= f.time()) {
      return Source.stable(recv + cost.logWriteSeconds());
    }
    // A later log segment of the receiver may hold it.
    long rp = timeline.receivePos(id);
    for (Boundary b : boundaries.get(m.dst()).values()) {
      if (b.isCheckpoint() || b.position() <= rp) continue;
      long from = boundaries.get(m.dst()).lowerEntry(b.index()).getValue().position();
      if (rp >= from && b.stableAt() <= f.time()) return Source.stable(b.stableAt());
    }
    if (reading == Reading.PAPER) return null;
    int dstHost = hostOf(m.dst()), srcHost = hostOf(m.src());
    if (f.target() != dstHost) return Source.host(dstHost);
    return Source.host(srcHost);   // lost too if both ends were on the failed host; the oracle says so
  }

  /** The highest index whose line this reading can restore after failure f. */
  private long lineIndex(Failure f) {
    long max = Long.MAX_VALUE;
    for (int v = 0; v < scenario.vms(); v++) max = Math.min(max, boundaries.get(v).lastKey());
    for (long l = max; l > 0; l--) if (lineUsable(l, f)) return l;
    return 0;
  }

  private boolean lineUsable(long l, Failure f) {
    for (int v = 0; v < scenario.vms(); v++) {
      TreeMap<Long, Boundary> b = boundaries.get(v);
      Boundary at = b.get(l);
      if (at == null || at.time() > f.time()) return false;
      if (reading == Reading.PAPER) continue;
      // vmqsc: the checkpoint the VM restores and every segment after it up to l must be on stable storage.
      for (Boundary e = at; ; e = b.lowerEntry(e.index()).getValue()) {
        if (e.stableAt() > f.time()) return false;
        if (e.isCheckpoint()) break;
      }
    }
    return true;
  }
}
