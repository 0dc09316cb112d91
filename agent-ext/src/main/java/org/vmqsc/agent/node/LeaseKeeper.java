package org.vmqsc.agent.node;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The host's side of the manager's lease (see the manager's {@code FailureDetector}): it tells when the host must
 * have stopped its protected VMs, so that a VM the manager recovers elsewhere after the lease never runs twice.
 * Pure: time from the injected {@link Clock}, no thread; the agent calls {@link #mustStop()} from its loop (and
 * should arm a timer for {@link #stopDeadline()}).
 *
 * <p><b>The rule.</b> The manager gives a lease of length L from its <em>receipt</em> of a heartbeat and declares
 * the host failed when its own clock has run L past that receipt. The host counts from when it <em>sent</em> the
 * heartbeat the manager acknowledged as a renewal, and stops at {@code sent + D} on its own clock, with
 * <pre>  D = L (1 - rho) / (1 + rho) - stopTime</pre>
 * <ul>
 *   <li><b>Message delay</b> costs no margin: the heartbeat was sent before the manager received it, so counting
 *       from the send can only start the host's count earlier than the manager's; the delay of the heartbeat and of
 *       the acknowledgement only shortens what is left of the host's lease when it learns of it. A lost or late
 *       acknowledgement never extends anything.</li>
 *   <li><b>Clock rates</b>: each clock's rate differs from real time by at most {@code rho} (e.g. 1e-4 = 100 ppm;
 *       use a generous bound, NTP slewing included). The manager's L takes at least {@code L / (1 + rho)} of real
 *       time; the host's D takes at most {@code D / (1 - rho)}, which is less.</li>
 *   <li><b>stopTime</b> ({@code > 0}): how long stopping (pausing, fencing) the VMs may take, plus the agent's
 *       scheduling jitter; it also makes the inequality strict.</li>
 * </ul>
 * So the margin is {@code L - D = L * 2 rho / (1 + rho) + stopTime}.
 *
 * <p><b>Epochs.</b> Every heartbeat carries the host's epoch ({@link #epoch()}), and every answer the manager's
 * epoch for the host. An answer with a newer epoch means the manager declared the host failed and is recovering
 * its VMs elsewhere: the host is <em>fenced</em> and must stay stopped until it has dropped those VMs and calls
 * {@link #rejoin()}, after which its heartbeats carry the new epoch. A renewal counts only for a heartbeat of the
 * host's current epoch, so no lost, late or reordered answer lets a fenced host run again.
 */
public final class LeaseKeeper {

  private final Clock clock;
  private final Duration lease;
  private final Duration safeLength;
  private record Sent(Instant at, long epoch) {}

  /** Heartbeats sent and not answered yet, by sequence number: when each was sent (host clock), in which epoch. */
  private final TreeMap<Long, Sent> pending = new TreeMap<>();
  private long nextSeq = 1;
  private Instant deadline;
  /** The epoch the host's heartbeats carry, and the newest epoch any answer named. */
  private long epoch;
  private long knownEpoch;

  /**
   * @param lease    L, the manager's lease length
   * @param rho      bound on each clock's rate error relative to real time (0 <= rho < 1)
   * @param stopTime time the host needs to stop its VMs, > 0
   */
  public LeaseKeeper(Clock clock, Duration lease, double rho, Duration stopTime) {
    if (lease == null || lease.isNegative() || lease.isZero()) throw new IllegalArgumentException("lease must be > 0");
    if (!(rho >= 0 && rho < 1)) throw new IllegalArgumentException("rho must be in [0, 1), got " + rho);
    if (stopTime == null || stopTime.isNegative() || stopTime.isZero()) {
      throw new IllegalArgumentException("stop time must be > 0");
    }
    this.clock = clock;
    this.lease = lease;
    long scaled = (long) Math.floor(lease.toNanos() * (1 - rho) / (1 + rho));
    this.safeLength = Duration.ofNanos(scaled).minus(stopTime);
    if (safeLength.isNegative() || safeLength.isZero()) {
      throw new IllegalArgumentException("lease " + lease + " leaves nothing after the margin for rho " + rho
          + " and stop time " + stopTime);
    }
  }

  /** L, the manager's lease length. */
  public Duration lease() {
    return lease;
  }

  /** D: how long after sending an acknowledged heartbeat the host may run its VMs. */
  public Duration safeLength() {
    return safeLength;
  }

  /** The margin L - D the host keeps. */
  public Duration margin() {
    return lease.minus(safeLength);
  }

  /** The epoch the next heartbeat carries. */
  public synchronized long epoch() {
    return epoch;
  }

  /** A heartbeat leaves now, with {@link #epoch()}; its sequence number goes with it and comes back in the answer. */
  public synchronized long heartbeatSent() {
    long seq = nextSeq++;
    pending.put(seq, new Sent(clock.instant(), epoch));
    return seq;
  }

  /**
   * The manager answered heartbeat {@code seq}: {@code renewed} when it gave a lease, and the host's epoch at the
   * manager. Unknown, repeated and stale answers change nothing.
   */
  public synchronized void answered(long seq, boolean renewed, long managerEpoch) {
    if (managerEpoch > knownEpoch) {
      knownEpoch = managerEpoch;
      deadline = null;
    }
    Sent sent = pending.get(seq);
    if (sent == null) return;
    pending.headMap(seq, true).clear(); // older heartbeats' answers could only give an earlier deadline
    if (!renewed || isFenced() || sent.epoch() != epoch || managerEpoch != epoch) return;
    Instant until = sent.at().plus(safeLength);
    if (deadline == null || until.isAfter(deadline)) deadline = until;
  }

  /** The host dropped the VMs recovered elsewhere; its heartbeats now carry the new epoch. */
  public synchronized void rejoin() {
    epoch = knownEpoch;
    deadline = null;
    pending.clear();
  }

  /** When the host must have stopped its VMs (host clock); empty before the first renewal and while fenced. */
  public synchronized Optional<Instant> stopDeadline() {
    return Optional.ofNullable(isFenced() ? null : deadline);
  }

  /** Whether the host must not run its protected VMs now. */
  public synchronized boolean mustStop() {
    return isFenced() || deadline == null || !clock.instant().isBefore(deadline);
  }

  /** Whether the manager declared this host failed since its last rejoin. */
  public synchronized boolean isFenced() {
    return knownEpoch > epoch;
  }
}
