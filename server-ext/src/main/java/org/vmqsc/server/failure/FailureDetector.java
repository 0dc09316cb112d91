package org.vmqsc.server.failure;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The manager's view of which hosts are alive, by heartbeats and leases. Pure: no thread, no timer; time comes
 * from the injected {@link Clock}, and the caller asks {@link #expired()} as often as it likes (its recovery
 * coordinator's loop).
 *
 * <p><b>Leases.</b> Each heartbeat of its current epoch the manager receives from a host gives the host a lease of length L from the
 * manager's receipt time: the host is alive on {@code [receipt, receipt + L)}. A host is failed once the manager's
 * clock reaches {@code receipt + L} without a newer heartbeat, never earlier; {@link #expired()} reports it at the
 * first call from then on, once. The host side ({@code org.vmqsc.agent.node.LeaseKeeper}) stops its VMs strictly
 * before that instant, counting from when it <em>sent</em> the acknowledged heartbeat, with a margin for the two
 * clocks' rate difference, so a VM recovered elsewhere never runs twice.
 *
 * <p><b>Epochs (fencing).</b> Each declared failure starts a new epoch for the host. A heartbeat carries the epoch
 * the host runs in, and its answer the manager's: a heartbeat of an older epoch is {@link Beat#FENCED} and renews
 * nothing, however late or reordered it arrives, until the host, having dropped the VMs recovered elsewhere,
 * heartbeats in the new epoch ({@link Beat#REJOINED}). So a lost or overtaken answer can never let a fenced host
 * run again: only a heartbeat sent after the host learnt of its failure can renew its lease.
 *
 * <p><b>Grace rules.</b> (1) No grace after a lease ends: a heartbeat that arrives after its host's lease ended is
 * not a renewal even when {@link #expired()} has not been asked yet. The host has already stopped its VMs by then,
 * so the manager must recover them: the host is failed (reported by {@link #expired()}) and the heartbeat is
 * answered {@link Beat#FENCED}. (2) A manager that starts (or restarts) does not know when the hosts it expects
 * last heartbeated: {@link #expect} gives each a full lease from the manager's start before it can be declared
 * failed.
 */
public final class FailureDetector {

  /** What a heartbeat was. */
  public enum Beat {
    /** The first heartbeat of a host this detector did not know. */
    JOINED,
    /** A heartbeat within the host's lease: the lease now runs L from this one. */
    RENEWED,
    /** A failed host heartbeats in its new epoch: it is back, empty of the recovered VMs, with a new lease. */
    REJOINED,
    /** A heartbeat of an epoch that ended with a declared failure: no lease; the host must stop and rejoin. */
    FENCED
  }

  /** The answer to a heartbeat: what it was, and the host's current epoch at the manager. */
  public record Answer(Beat beat, long epoch) {
    /** Whether the host may count on a lease from this heartbeat. */
    public boolean renewed() {
      return beat != Beat.FENCED;
    }
  }

  private static final class Host {
    Instant leaseEnd;
    boolean failed;
    long epoch;
    /** Expected from the database, never heard from: its first heartbeat tells its epoch. */
    boolean onlyExpected;
  }

  private final Clock clock;
  private final Duration lease;
  private final Map<String, Host> hosts = new TreeMap<>();
  /** Failed, not reported by {@link #expired()} yet. */
  private final Set<String> newlyExpired = new LinkedHashSet<>();
  private final Set<String> newlyRejoined = new LinkedHashSet<>();

  public FailureDetector(Clock clock, Duration lease) {
    if (lease == null || lease.isNegative() || lease.isZero()) {
      throw new IllegalArgumentException("a lease must be longer than 0, got " + lease);
    }
    this.clock = clock;
    this.lease = lease;
  }

  public Duration lease() {
    return lease;
  }

  /**
   * Grace rule (2): the host is expected (it runs protected VMs) and gets a full lease from now unless it is
   * known already.
   */
  public synchronized void expect(String hostUuid) {
    hosts.computeIfAbsent(check(hostUuid), h -> {
      Host host = new Host();
      host.leaseEnd = clock.instant().plus(lease);
      host.onlyExpected = true;
      return host;
    });
  }

  /** A heartbeat from {@code hostUuid}, sent in its {@code epoch}, arrived now. */
  public synchronized Answer heartbeat(String hostUuid, long epoch) {
    Instant now = clock.instant();
    Host host = hosts.get(check(hostUuid));
    if (host == null) {
      host = new Host();
      host.leaseEnd = now.plus(lease);
      host.epoch = epoch;
      hosts.put(hostUuid, host);
      return new Answer(Beat.JOINED, epoch);
    }
    if (!host.failed && !now.isBefore(host.leaseEnd)) fail(hostUuid, host); // grace rule (1)
    if (host.onlyExpected) {
      // A manager that (re)started learns the host's epoch from the host, as from a host it never knew...
      host.onlyExpected = false;
      if (!host.failed) {
        host.epoch = epoch;
        host.leaseEnd = now.plus(lease);
        return new Answer(Beat.JOINED, epoch);
      }
      // ...unless the host was declared failed before it was heard: fenced, in an epoch newer than its own.
      host.epoch = Math.max(host.epoch, epoch + 1);
      return new Answer(Beat.FENCED, host.epoch);
    }
    if (epoch > host.epoch) {
      throw new IllegalArgumentException("host " + hostUuid + " claims epoch " + epoch + " but it is at " + host.epoch);
    }
    if (epoch < host.epoch) return new Answer(Beat.FENCED, host.epoch);
    host.leaseEnd = now.plus(lease);
    if (host.failed) {
      host.failed = false;
      newlyRejoined.add(hostUuid);
      return new Answer(Beat.REJOINED, epoch);
    }
    return new Answer(Beat.RENEWED, epoch);
  }

  /**
   * The hosts whose lease has ended since the last call (or that a late heartbeat found ended), each reported
   * once, in the order their leases ended.
   */
  public synchronized List<String> expired() {
    Instant now = clock.instant();
    List<Map.Entry<String, Host>> ended = new ArrayList<>();
    for (Map.Entry<String, Host> e : hosts.entrySet()) {
      if (!e.getValue().failed && !now.isBefore(e.getValue().leaseEnd)) ended.add(e);
    }
    ended.sort(Comparator.comparing((Map.Entry<String, Host> e) -> e.getValue().leaseEnd)
        .thenComparing(Map.Entry::getKey));
    for (Map.Entry<String, Host> e : ended) fail(e.getKey(), e.getValue());
    List<String> out = List.copyOf(newlyExpired);
    newlyExpired.clear();
    return out;
  }

  /** The failed hosts that heartbeated again in their new epoch since the last call, each reported once. */
  public synchronized List<String> rejoined() {
    List<String> out = List.copyOf(newlyRejoined);
    newlyRejoined.clear();
    return out;
  }

  /**
   * The host is known to have lost its VMs now (its agent came back as a new process before its lease ended):
   * failed at once, reported by the next {@link #expired()}, fenced like any failed host.
   */
  public synchronized void declareFailed(String hostUuid) {
    Host host = hosts.get(check(hostUuid));
    if (host != null && !host.failed) fail(hostUuid, host);
  }

  private void fail(String hostUuid, Host host) {
    host.failed = true;
    host.epoch++;
    newlyExpired.add(hostUuid);
  }

  /** Every host heard from or expected, failed or not. */
  public synchronized Set<String> knownHosts() {
    return new TreeSet<>(hosts.keySet());
  }

  /** Whether the host was declared failed (by {@link #expired()} or a late heartbeat) and has not rejoined. */
  public synchronized boolean isFailed(String hostUuid) {
    Host host = hosts.get(hostUuid);
    return host != null && host.failed;
  }

  /** The host's current epoch at the manager (0 for an unknown host). */
  public synchronized long epoch(String hostUuid) {
    Host host = hosts.get(hostUuid);
    return host == null ? 0 : host.epoch;
  }

  /** When the host's current lease ends at the manager; empty for an unknown host. */
  public synchronized Optional<Instant> leaseEnd(String hostUuid) {
    Host host = hosts.get(hostUuid);
    return host == null ? Optional.empty() : Optional.of(host.leaseEnd);
  }

  /** The host left the cloud: no more expiry or rejoin for it. */
  public synchronized void forget(String hostUuid) {
    hosts.remove(hostUuid);
    newlyExpired.remove(hostUuid);
    newlyRejoined.remove(hostUuid);
  }

  private static String check(String hostUuid) {
    if (hostUuid == null || hostUuid.isBlank()) throw new IllegalArgumentException("a host uuid is missing");
    return hostUuid;
  }
}
