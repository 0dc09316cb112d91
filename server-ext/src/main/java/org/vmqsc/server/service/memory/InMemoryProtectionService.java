package org.vmqsc.server.service.memory;

import static org.vmqsc.server.service.Checks.invalid;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import org.vmqsc.protocol.recovery.CurrentExecutions;
import org.vmqsc.protocol.recovery.KeptReceipts;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.EarlyIndexPolicy;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.manager.Collectible;
import org.vmqsc.protocol.manager.LineKeeper;
import org.vmqsc.protocol.manager.RecoveryLine;
import org.vmqsc.protocol.recovery.RecoveryPlan;
import org.vmqsc.protocol.recovery.RecoveryPlanner;
import org.vmqsc.protocol.recovery.Survivors;
import org.vmqsc.protocol.recovery.VmRestore;
import org.vmqsc.server.service.ArtifactState;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.Checks;
import org.vmqsc.server.service.FailureKind;
import org.vmqsc.server.service.HostReport;
import org.vmqsc.server.service.LoggedMessageReport;
import org.vmqsc.server.service.Page;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.RecoveryState;
import org.vmqsc.server.service.ServiceException;
import org.vmqsc.server.service.ServiceException.Reason;
import org.vmqsc.server.service.Views.CheckpointView;
import org.vmqsc.server.service.Views.CollectionResult;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.HostFailurePlan;
import org.vmqsc.server.service.Views.LineEntry;
import org.vmqsc.server.service.Views.LineView;
import org.vmqsc.server.service.Views.LogSegmentView;
import org.vmqsc.server.service.Views.MemberView;
import org.vmqsc.server.service.Views.RecoveryEventView;
import org.vmqsc.server.service.Views.ReportOutcome;
import org.vmqsc.server.service.Views.ReportResult;
import org.vmqsc.server.service.Views.RestoreStep;
import org.vmqsc.server.service.Views.VmFailurePlan;

/**
 * The protection service without a database: one protocol {@link LineKeeper} per group and the artifacts, lines and
 * recovery events in maps. It keeps the catalog's rules (the same refusals, the same outcomes for the same inputs)
 * and is meant for the simulator and for a single manager that needs no persistence.
 *
 * <p>Like the catalog's {@code GroupState}, each group's keeper sees the VMs' current executions only (incarnation
 * 0): incarnations are checked here against the members, and a recovery claim marks what the discarded executions
 * left DISCARDED and rebuilds the keeper from what is live. A report costs a few map look-ups and one
 * {@code advance} of the keeper per batch; nothing scans the group's history except the listings.
 *
 * <p>Every method runs under one lock (the service's monitor): simple, and enough for a simulator or one manager.
 * Deterministic: uuids come from the injected supplier, times from the injected clock.
 */
public final class InMemoryProtectionService implements ProtectionService {

  private final Clock clock;
  private final Supplier<String> ids;
  private final String managerId;
  /** Orders groups, members, artifacts and events by creation, as the catalog's row ids do. */
  private long sequence;

  private final Map<String, Group> groups = new LinkedHashMap<>();
  private final Map<String, Member> memberOfVm = new HashMap<>();
  private final Map<String, Event> events = new LinkedHashMap<>();

  public InMemoryProtectionService(Clock clock, Supplier<String> ids, String managerId) {
    this.clock = clock;
    this.ids = ids;
    this.managerId = Checks.uuid("manager", managerId);
  }

  /** With counter uuids (reproducible) and the system clock. */
  public InMemoryProtectionService() {
    this(Clock.systemUTC(), counterIds(), "in-memory");
  }

  /** Uuids 00000000-0000-0000-0000-000000000001, ...2, ...: the same sequence for every service. */
  public static Supplier<String> counterIds() {
    AtomicLong next = new AtomicLong();
    return () -> new UUID(0, next.incrementAndGet()).toString();
  }

  /** Random-looking uuids, the same sequence for the same seed. */
  public static Supplier<String> seededIds(long seed) {
    Random random = new Random(seed);
    return () -> new UUID(random.nextLong(), random.nextLong()).toString();
  }

  // ---- state --------------------------------------------------------------------------------------------------

  private static final class Group {
    final long id;
    final String uuid;
    String name;
    long basePeriodMs;
    RecoveryPolicy policy;
    final EarlyIndexPolicy earlyIndex;
    final Instant created;
    Long lineIndex;
    Long startedMs;
    /** Live members in their numbering. */
    final List<Member> members = new ArrayList<>();
    /** Built on demand from what is live; dropped when membership changes or a rollback discards artifacts. */
    LineKeeper keeper;
    boolean hadCheckpoints;
    /** Per VM number: live checkpoints and live log segments by CSN. */
    final List<NavigableMap<Long, Artifact>> checkpoints = new ArrayList<>();
    final List<NavigableMap<Long, Artifact>> segments = new ArrayList<>();
    /** Collected and discarded artifacts, as history. */
    final List<Artifact> removed = new ArrayList<>();
    /** Live logged messages by channel (from * n + to), then seq (several incarnations may share a seq). */
    final Map<Integer, TreeMap<Long, List<Logged>>> logged = new HashMap<>();
    final Set<LoggedKey> loggedKeys = new java.util.HashSet<>();
    /** Every line the group reached, oldest first. */
    final List<LineView> lines = new ArrayList<>();
    final List<Event> events = new ArrayList<>();

    Group(long id, String uuid, String name, long basePeriodMs, RecoveryPolicy policy, EarlyIndexPolicy earlyIndex,
          Instant created) {
      this.id = id;
      this.uuid = uuid;
      this.name = name;
      this.basePeriodMs = basePeriodMs;
      this.policy = policy;
      this.earlyIndex = earlyIndex;
      this.created = created;
    }

    int size() {
      return members.size();
    }

    NavigableMap<Long, Artifact> artifacts(int vm, boolean checkpoint) {
      return (checkpoint ? checkpoints : segments).get(vm);
    }
  }

  private static final class Member {
    final long id;
    final String uuid;
    final String vmUuid;
    String vmClass;
    final Instant created;
    Group group;
    int number;
    String hostUuid;
    int incarnation;
    /** The VM's per-channel sent counters at the line of its latest rollback, or null. */
    long[] rollbackSentCounts;
    /** Which receipts of its earlier incarnations its current execution holds. */
    KeptReceipts keptReceipts = KeptReceipts.NONE;

    Member(long id, String uuid, String vmUuid, String vmClass, String hostUuid, Instant created) {
      this.id = id;
      this.uuid = uuid;
      this.vmUuid = vmUuid;
      this.vmClass = vmClass;
      this.hostUuid = hostUuid;
      this.created = created;
    }

    MemberView view() {
      return new MemberView(uuid, vmUuid, number, vmClass, hostUuid, incarnation, created);
    }
  }

  private static final class Artifact {
    final long id;
    final String uuid;
    final int vm;
    final String vmUuid;
    final BoundaryReport report;
    /** The host whose report recorded it. */
    final String hostUuid;
    final Instant created;
    ArtifactState state;
    String location;

    Artifact(long id, String uuid, int vm, BoundaryReport report, String hostUuid, Instant created) {
      this.id = id;
      this.hostUuid = hostUuid;
      this.uuid = uuid;
      this.vm = vm;
      this.vmUuid = report.vmUuid();
      this.report = report;
      this.created = created;
      this.state = report.stable() ? ArtifactState.STABLE : ArtifactState.STAGED;
      this.location = report.location();
    }

    boolean checkpoint() {
      return report.kind() == BoundaryKind.CHECKPOINT;
    }

    long csn() {
      return report.index();
    }

    /** Whether {@code r} reports the same boundary (its stability and location may differ). */
    boolean sameAs(BoundaryReport r) {
      return report.forced() == r.forced() && report.sizeBytes() == r.sizeBytes()
          && report.contentDigest().equals(r.contentDigest()) && report.position() == r.position()
          && report.received() == r.received() && Arrays.equals(report.sentTo(), r.sentTo())
          && Arrays.equals(report.receivedFrom(), r.receivedFrom());
    }

    CheckpointView checkpointView() {
      return new CheckpointView(uuid, vmUuid, csn(), report.incarnation(), report.forced(), state,
          report.sizeBytes(), location, report.contentDigest(), created, report.received(), hostUuid);
    }

    LogSegmentView segmentView() {
      return new LogSegmentView(uuid, vmUuid, csn() - 1, csn(), report.incarnation(), state, report.sizeBytes(),
          location, report.contentDigest(), created, report.received());
    }
  }

  private record LoggedKey(int from, int to, int incarnation, long seq) {}

  private record Logged(LoggedKey key, LoggedMessageReport report) {}

  private static final class Event {
    final long id;
    final String uuid;
    final Group group;
    final FailureKind kind;
    final String failedRef;
    final Long lineIndex;
    final List<String> rolledBack;
    final HostFailurePlan plan;
    final Instant started;
    RecoveryState state = RecoveryState.RUNNING;
    long replayedMessages;
    String outcome;
    Instant finished;
    Long durationMs;

    Event(long id, String uuid, Group group, FailureKind kind, String failedRef, Long lineIndex,
          List<String> rolledBack, HostFailurePlan plan, Instant started) {
      this.id = id;
      this.uuid = uuid;
      this.group = group;
      this.kind = kind;
      this.failedRef = failedRef;
      this.lineIndex = lineIndex;
      this.rolledBack = rolledBack;
      this.plan = plan;
      this.started = started;
    }
  }

  // ---- groups -------------------------------------------------------------------------------------------------

  @Override
  public synchronized GroupView createGroup(String name, long basePeriodMs, RecoveryPolicy recoveryPolicy,
      EarlyIndexPolicy earlyIndex) {
    String checkedName = Checks.name(name);
    long t0 = Checks.basePeriodMs(basePeriodMs);
    Group group = new Group(++sequence, ids.get(), checkedName, t0,
        recoveryPolicy == null ? RecoveryPolicy.AUTOMATIC : recoveryPolicy,
        earlyIndex == null ? EarlyIndexPolicy.ADVANCE_AND_LOG : earlyIndex, now());
    groups.put(group.uuid, group);
    return view(group);
  }

  @Override
  public synchronized GroupView updateGroup(String groupUuid, String name, Long basePeriodMs,
      RecoveryPolicy recoveryPolicy) {
    String checkedName = name == null ? null : Checks.name(name);
    Long t0 = basePeriodMs == null ? null : Checks.basePeriodMs(basePeriodMs);
    Group group = group0(groupUuid);
    if (t0 != null && t0 != group.basePeriodMs && (group.hadCheckpoints || group.startedMs != null)) {
      throw new ServiceException(Reason.WRONG_STATE, "cannot change T0 of group " + groupUuid
          + ": it already has checkpoints taken with T0 = " + group.basePeriodMs + " ms");
    }
    if (checkedName != null) group.name = checkedName;
    if (recoveryPolicy != null) group.policy = recoveryPolicy;
    if (t0 != null && t0 != group.basePeriodMs) {
      group.basePeriodMs = t0;
      group.keeper = null;
    }
    return view(group);
  }

  @Override
  public synchronized void deleteGroup(String groupUuid) {
    Group group = group0(groupUuid);
    for (Member m : group.members) memberOfVm.remove(m.vmUuid);
    groups.remove(groupUuid);
  }

  @Override
  public synchronized GroupView startGroup(String groupUuid, long startedMs) {
    Group group = group0(groupUuid);
    if (group.startedMs == null) {
      if (group.members.isEmpty()) {
        throw new ServiceException(Reason.WRONG_STATE, "group " + groupUuid + " has no VM yet: add one first");
      }
      group.startedMs = Checks.startedMs(startedMs);
    }
    return view(group);
  }

  @Override
  public synchronized GroupView group(String groupUuid) {
    return view(group0(groupUuid));
  }

  @Override
  public synchronized Page<GroupView> listGroups(PageRequest page) {
    return page(groups.values().stream().map(this::view).toList(), page);
  }

  @Override
  public synchronized GroupConfig config(String groupUuid) {
    Group group = group0(groupUuid);
    if (group.members.isEmpty()) {
      throw new ServiceException(Reason.WRONG_STATE, "group " + groupUuid + " has no VM yet: it has no protocol"
          + " configuration");
    }
    return configOf(group);
  }

  // ---- members ------------------------------------------------------------------------------------------------

  @Override
  public synchronized MemberView addVm(String groupUuid, String vmUuid, String vmClass, String hostUuid) {
    String vm = Checks.uuid("VM", vmUuid);
    String checkedClass = Checks.vmClass(vmClass);
    String host = hostUuid == null ? null : Checks.uuid("host", hostUuid);
    Group group = group0(groupUuid);
    Member existing = memberOfVm.get(vm);
    if (existing != null) {
      throw new ServiceException(Reason.DUPLICATE_VM, "VM " + vm + " is already in group " + existing.group.uuid
          + "; remove it there first");
    }
    requireNoCheckpoints(group, "add a VM to");
    Member member = new Member(++sequence, ids.get(), vm, checkedClass, host, now());
    member.group = group;
    member.number = group.members.size();
    group.members.add(member);
    group.checkpoints.add(new TreeMap<>());
    group.segments.add(new TreeMap<>());
    group.keeper = null;
    memberOfVm.put(vm, member);
    return member.view();
  }

  @Override
  public synchronized MemberView changeVmClass(String groupUuid, String vmUuid, String vmClass) {
    String checkedClass = Checks.vmClass(vmClass);
    Group group = group0(groupUuid);
    Member member = memberOfVm.get(vmUuid);
    if (member == null || member.group != group) throw unknownVm(vmUuid, "in group " + groupUuid);
    if (group.hadCheckpoints || group.startedMs != null) throw Checks.classFixed(vmUuid, groupUuid);
    member.vmClass = checkedClass;
    group.keeper = null;
    return member.view();
  }

  @Override
  public synchronized void removeVm(String groupUuid, String vmUuid) {
    Group group = group0(groupUuid);
    Member member = memberOfVm.get(vmUuid);
    if (member == null || member.group != group) throw unknownVm(vmUuid, "in group " + groupUuid);
    requireNoCheckpoints(group, "remove a VM from");
    int number = member.number;
    group.members.remove(number);
    group.checkpoints.remove(number);
    group.segments.remove(number);
    for (int i = 0; i < group.members.size(); i++) group.members.get(i).number = i;
    // Logged messages are counted by VM number: a group without checkpoints keeps none across a renumbering.
    group.logged.clear();
    group.loggedKeys.clear();
    group.keeper = null;
    memberOfVm.remove(vmUuid);
  }

  @Override
  public synchronized void moveVm(String vmUuid, String hostUuid) {
    String host = Checks.uuid("host", hostUuid);
    Member member = memberOfVm.get(vmUuid);
    if (member == null) throw unknownVm(vmUuid, "in any group");
    member.hostUuid = host;
  }

  @Override
  public synchronized List<MemberView> members(String groupUuid) {
    return group0(groupUuid).members.stream().map(Member::view).toList();
  }

  @Override
  public synchronized Page<MemberView> listMembers(String groupUuid, PageRequest page) {
    return page(members(groupUuid), page);
  }

  @Override
  public synchronized List<String> groupsOnHost(String hostUuid) {
    List<String> out = new ArrayList<>();
    for (Group g : groups.values()) {
      if (g.members.stream().anyMatch(m -> hostUuid != null && hostUuid.equals(m.hostUuid))) out.add(g.uuid);
    }
    return out;
  }

  // ---- reports ------------------------------------------------------------------------------------------------

  @Override
  public synchronized ReportResult report(HostReport batch) {
    if (batch == null) throw invalid("a report batch is missing");
    Group group = group0(batch.groupUuid());
    if (batch.isEmpty()) return new ReportResult(ReportOutcome.DUPLICATE, null);
    // 1. Check the whole batch against the recorded state and the batch's own earlier reports: nothing changes
    //    unless every report is acceptable.
    Map<String, BoundaryReport> inBatch = new HashMap<>();
    List<Member> reporters = new ArrayList<>(batch.boundaries().size());
    for (BoundaryReport r : batch.boundaries()) {
      Member member = memberIn(group, r.vmUuid());
      if (r.sentTo().length != group.size()) {
        throw invalid(r + " carries " + r.sentTo().length + " channel counters but the group has " + group.size()
            + " VMs");
      }
      if (r.incarnation() > member.incarnation) {
        throw new ServiceException(Reason.CONFLICTING_REPORT, r + " names incarnation " + r.incarnation()
            + " but no recovery gave VM " + member.vmUuid + " more than " + member.incarnation);
      }
      reporters.add(member);
      if (r.incarnation() < member.incarnation) continue;
      String key = r.kind() + "/" + member.number + "/" + r.index();
      Artifact known = group.artifacts(member.number, r.kind() == BoundaryKind.CHECKPOINT).get(r.index());
      if (known != null && !known.sameAs(r)) {
        throw new ServiceException(Reason.CONFLICTING_REPORT, r + " contradicts the report recorded before"
            + " (digest " + known.report.contentDigest() + ", size " + known.report.sizeBytes() + ")");
      }
      BoundaryReport earlier = inBatch.putIfAbsent(key, r);
      if (known == null && earlier != null && !sameBoundary(earlier, r)) {
        throw new ServiceException(Reason.CONFLICTING_REPORT, r + " contradicts " + earlier + " in the same batch");
      }
    }
    List<Member[]> senders = new ArrayList<>(batch.loggedMessages().size());
    for (LoggedMessageReport m : batch.loggedMessages()) {
      Member to = memberIn(group, m.toVmUuid());
      Member from = memberIn(group, m.fromVmUuid());
      senders.add(new Member[] {from, to});
    }

    // 2. Apply.
    LineKeeper keeper = keeper(group);
    ReportOutcome outcome = null;
    List<Runnable> undo = new ArrayList<>();
    try {
      for (int i = 0; i < batch.boundaries().size(); i++) {
        outcome = stronger(outcome, apply(group, keeper, reporters.get(i), batch.boundaries().get(i),
            batch.hostUuid(), undo));
      }
      for (int i = 0; i < batch.loggedMessages().size(); i++) {
        Member[] ends = senders.get(i);
        outcome = stronger(outcome, applyLogged(group, keeper, ends[0], ends[1], batch.loggedMessages().get(i),
            undo));
      }
      LineView moved = outcome == ReportOutcome.RECORDED || outcome == ReportOutcome.MADE_STABLE
          ? advance(group).orElse(null) : null;
      return new ReportResult(outcome == null ? ReportOutcome.DUPLICATE : outcome, moved);
    } catch (RuntimeException e) {
      // The keeper refused the batch's facts (an orphan, say): take back what the batch recorded.
      for (int i = undo.size() - 1; i >= 0; i--) undo.get(i).run();
      group.keeper = null;
      throw e;
    }
  }

  private static boolean sameBoundary(BoundaryReport a, BoundaryReport b) {
    return a.forced() == b.forced() && a.sizeBytes() == b.sizeBytes() && a.contentDigest().equals(b.contentDigest())
        && a.position() == b.position() && a.received() == b.received()
        && Arrays.equals(a.sentTo(), b.sentTo()) && Arrays.equals(a.receivedFrom(), b.receivedFrom());
  }

  private static ReportOutcome stronger(ReportOutcome a, ReportOutcome b) {
    if (a == null) return b;
    return a.ordinal() <= b.ordinal() ? a : b; // RECORDED, MADE_STABLE, DUPLICATE, IGNORED
  }

  private ReportOutcome apply(Group group, LineKeeper keeper, Member member, BoundaryReport r, String hostUuid,
                              List<Runnable> undo) {
    if (r.incarnation() < member.incarnation) return ReportOutcome.IGNORED;
    boolean checkpoint = r.kind() == BoundaryKind.CHECKPOINT;
    int vm = member.number;
    NavigableMap<Long, Artifact> artifacts = group.artifacts(vm, checkpoint);
    Artifact known = artifacts.get(r.index());
    if (known != null) {
      if (r.stable() && known.state == ArtifactState.STAGED) {
        String before = known.location;
        known.state = ArtifactState.STABLE;
        known.location = r.location();
        undo.add(() -> {
          known.state = ArtifactState.STAGED;
          known.location = before;
        });
        keeper.markStable(vm, r.index(), 0);
        return ReportOutcome.MADE_STABLE;
      }
      return ReportOutcome.DUPLICATE;
    }
    if (group.lineIndex != null && r.index() < group.lineIndex) return ReportOutcome.IGNORED;
    Artifact artifact = new Artifact(++sequence, ids.get(), vm, r, hostUuid, now());
    artifacts.put(r.index(), artifact);
    boolean hadCheckpoints = group.hadCheckpoints;
    if (checkpoint) group.hadCheckpoints = true;
    undo.add(() -> {
      artifacts.remove(r.index());
      group.hadCheckpoints = hadCheckpoints;
    });
    keeper.record(record(vm, r));
    if (r.stable()) keeper.markStable(vm, r.index(), 0);
    return ReportOutcome.RECORDED;
  }

  private ReportOutcome applyLogged(Group group, LineKeeper keeper, Member from, Member to, LoggedMessageReport m,
      List<Runnable> undo) {
    if (m.incarnation() < from.incarnation && from.rollbackSentCounts != null
        && m.seq() > from.rollbackSentCounts[to.number]) {
      return ReportOutcome.IGNORED; // sent by an execution a recovery discarded
    }
    LoggedKey key = new LoggedKey(from.number, to.number, m.incarnation(), m.seq());
    if (!group.loggedKeys.add(key)) return ReportOutcome.DUPLICATE;
    List<Logged> atSeq = group.logged.computeIfAbsent(channel(group, from.number, to.number), k -> new TreeMap<>())
        .computeIfAbsent(m.seq(), k -> new ArrayList<>(1));
    Logged logged = new Logged(key, m);
    atSeq.add(logged);
    undo.add(() -> {
      group.loggedKeys.remove(key);
      atSeq.remove(logged);
    });
    keeper.markInTransitLogged(message(from.number, to.number, m, 0));
    return ReportOutcome.RECORDED;
  }

  // ---- line, artifacts, collection ----------------------------------------------------------------------------

  @Override
  public synchronized Optional<LineView> currentLine(String groupUuid) {
    Group group = group0(groupUuid);
    return group.lines.isEmpty() ? Optional.empty() : Optional.of(group.lines.get(group.lines.size() - 1));
  }

  @Override
  public synchronized Page<LineView> listLines(String groupUuid, PageRequest page) {
    List<LineView> newestFirst = new ArrayList<>(group0(groupUuid).lines);
    Collections.reverse(newestFirst);
    return page(newestFirst, page);
  }

  @Override
  public synchronized Page<CheckpointView> listCheckpoints(String groupUuid, boolean includeRemoved,
      PageRequest page) {
    return page(artifacts(group0(groupUuid), true, includeRemoved).stream().map(Artifact::checkpointView).toList(),
        page);
  }

  @Override
  public synchronized Page<LogSegmentView> listLogSegments(String groupUuid, boolean includeRemoved,
      PageRequest page) {
    return page(artifacts(group0(groupUuid), false, includeRemoved).stream().map(Artifact::segmentView).toList(),
        page);
  }

  /** Newest first (CSN, then creation), as the catalog lists them. */
  private static List<Artifact> artifacts(Group group, boolean checkpoints, boolean includeRemoved) {
    List<Artifact> all = new ArrayList<>();
    for (NavigableMap<Long, Artifact> byCsn : checkpoints ? group.checkpoints : group.segments) {
      all.addAll(byCsn.values());
    }
    if (includeRemoved) {
      for (Artifact a : group.removed) if (a.checkpoint() == checkpoints) all.add(a);
    }
    all.sort(Comparator.comparingLong(Artifact::csn).thenComparingLong(a -> a.id).reversed());
    return all;
  }

  @Override
  public synchronized Set<String> storedLocations() {
    Set<String> out = new java.util.HashSet<>();
    for (Group g : groups.values()) {
      for (List<NavigableMap<Long, Artifact>> kind : List.of(g.checkpoints, g.segments)) {
        for (NavigableMap<Long, Artifact> byCsn : kind) {
          for (Artifact a : byCsn.values()) out.add(a.location);
        }
      }
      for (TreeMap<Long, List<Logged>> channel : g.logged.values()) {
        for (List<Logged> atSeq : channel.values()) {
          for (Logged m : atSeq) out.add(m.report().location());
        }
      }
    }
    return out;
  }

  @Override
  public synchronized CollectionResult collect(String groupUuid, int keptBehindLine) {
    Group group = group0(groupUuid);
    if (group.members.isEmpty()) return new CollectionResult(0, 0, 0, List.of());
    LineKeeper keeper = keeper(group);
    Collectible behind = keeper.collectible(keptBehindLine);
    if (behind.isEmpty()) return new CollectionResult(0, 0, 0, List.of());
    List<String> locations = new ArrayList<>();
    for (BoundaryRecord r : behind.checkpoints()) locations.add(remove(group, r, ArtifactState.COLLECTED));
    for (BoundaryRecord r : behind.segments()) locations.add(remove(group, r, ArtifactState.COLLECTED));
    int messages = 0;
    for (Collectible.ChannelRange range : behind.inTransit()) {
      TreeMap<Long, List<Logged>> channel = group.logged.get(channel(group, range.from(), range.to()));
      if (channel == null) continue;
      NavigableMap<Long, List<Logged>> behindLine = channel.subMap(range.fromSeq(), true, range.toSeq(), true);
      for (List<Logged> atSeq : behindLine.values()) {
        for (Logged m : atSeq) {
          group.loggedKeys.remove(m.key());
          locations.add(m.report().location());
          messages++;
        }
      }
      behindLine.clear();
    }
    keeper.collect(keptBehindLine);
    // A checkpoint taken again of a guest that did not run is the same checkpoint at the same location.
    Set<String> stillNamed = new HashSet<>();
    for (Map<Long, Artifact> vm : group.checkpoints) for (Artifact a : vm.values()) stillNamed.add(a.location);
    locations.removeIf(stillNamed::contains);
    return new CollectionResult(behind.checkpoints().size(), behind.segments().size(), messages, locations);
  }

  private String remove(Group group, BoundaryRecord r, ArtifactState state) {
    Artifact a = group.artifacts(r.vm(), r.isCheckpoint()).remove(r.index());
    a.state = state;
    group.removed.add(a);
    return a.location;
  }

  // ---- recovery -----------------------------------------------------------------------------------------------

  @Override
  public synchronized VmFailurePlan planVmFailure(String vmUuid) {
    Member member = memberOfVm.get(vmUuid);
    if (member == null) throw unknownVm(vmUuid, "in any group");
    for (Artifact c : member.group.checkpoints.get(member.number).descendingMap().values()) {
      if (c.report.incarnation() == member.incarnation) {
        return new VmFailurePlan(vmUuid, member.hostUuid, c.uuid, c.csn(), c.state, c.location);
      }
    }
    throw new ServiceException(Reason.WRONG_STATE, "VM " + vmUuid
        + " has no checkpoint yet in its current incarnation: nothing to restart it from");
  }

  @Override
  public synchronized HostFailurePlan planRecovery(String groupUuid, Set<String> failedVmUuids,
      Survivors survivors) {
    if (failedVmUuids == null || failedVmUuids.isEmpty()) throw invalid("a recovery needs at least one failed VM");
    if (survivors == null) throw invalid("a recovery needs the survivors' snapshot");
    Group group = group0(groupUuid);
    Set<Integer> failed = new TreeSet<>();
    for (String vm : failedVmUuids) failed.add(memberIn(group, vm).number);
    if (group.lineIndex == null) {
      throw new ServiceException(Reason.WRONG_STATE, "group " + groupUuid
          + " has no recovery line yet: its first checkpoints are not all stable");
    }
    LineKeeper keeper = keeper(group);
    RecoveryPlan plan = inRealIncarnations(group, RecoveryPlanner.planHostFailure(configOf(group), keeper, failed,
        currentExecutions(group, survivors), stableInTransit(group)));
    List<MemberView> members = group.members.stream().map(Member::view).toList();
    List<RestoreStep> steps = new ArrayList<>();
    for (VmRestore restore : plan.restores()) {
      Member member = group.members.get(restore.vm());
      Artifact checkpoint = group.checkpoints.get(restore.vm()).get(restore.checkpoint().index());
      List<String> segments = restore.segments().stream()
          .map(s -> group.segments.get(restore.vm()).get(s.index()).location).toList();
      steps.add(new RestoreStep(member.vmUuid, member.incarnation + 1, checkpoint.uuid, checkpoint.csn(),
          checkpoint.location, segments, restore.replays().size()));
    }
    List<String> rolledBack = plan.rolledBack().stream().map(vm -> group.members.get(vm).vmUuid).toList();
    Set<String> hosts = new TreeSet<>();
    for (int vm : failed) hosts.add(String.valueOf(group.members.get(vm).hostUuid));
    String failedHost = hosts.size() == 1 ? group.members.get(failed.iterator().next()).hostUuid : null;
    String failedRef = failedHost != null ? failedHost : String.join(",", failedVmUuids);
    return new HostFailurePlan(groupUuid, failedRef, members, plan, rolledBack, List.copyOf(steps),
        inTransitLocations(group, plan));
  }

  @Override
  public synchronized Optional<RecoveryEventView> claimRecovery(String groupUuid, FailureKind kind, String failedRef,
      HostFailurePlan plan) {
    if (kind == null) throw invalid("a recovery needs the kind of failure (VM or HOST)");
    Checks.uuid("failed", failedRef);
    Group group = group0(groupUuid);
    for (Event e : group.events) {
      if (e.state == RecoveryState.RUNNING && e.failedRef.equals(failedRef)) return Optional.empty();
    }
    Long line = group.lineIndex;
    if (plan != null && (line == null || plan.plan().lineIndex() != line)) {
      throw new ServiceException(Reason.WRONG_STATE, "the plan rolls back to line " + plan.plan().lineIndex()
          + " but the group's line is now " + line + ": plan again");
    }
    if (plan != null) {
      for (VmRestore restore : plan.plan().restores()) {
        if (restore.vm() < 0 || restore.vm() >= group.size()) {
          throw invalid("the plan names VM " + restore.vm() + " but the group has " + group.size() + " VMs");
        }
      }
      rollBack(group, plan.plan());
    }
    Event event = new Event(++sequence, ids.get(), group, kind, failedRef, line,
        plan == null ? List.of() : List.copyOf(plan.rolledBackVmUuids()), plan, now());
    group.events.add(event);
    events.put(event.uuid, event);
    return Optional.of(view(event));
  }

  private void rollBack(Group group, RecoveryPlan plan) {
    for (VmRestore restore : plan.restores()) {
      Member member = group.members.get(restore.vm());
      long[] sentAtLine = restore.sentToAfterRecovery();
      member.keptReceipts = member.keptReceipts.afterRestore(member.incarnation, restore.receivedAfterRecovery());
      member.incarnation++;
      member.rollbackSentCounts = sentAtLine;
      for (boolean checkpoint : new boolean[] {true, false}) {
        // Each VM recovers to its own state, at or after the line: what its execution left after that goes.
        NavigableMap<Long, Artifact> after = group.artifacts(member.number, checkpoint)
            .tailMap(restore.lineState().index(), false);
        for (Artifact a : after.values()) {
          a.state = ArtifactState.DISCARDED;
          group.removed.add(a);
        }
        after.clear();
      }
      for (int to = 0; to < group.size(); to++) {
        TreeMap<Long, List<Logged>> channel = group.logged.get(channel(group, member.number, to));
        if (channel == null) continue;
        NavigableMap<Long, List<Logged>> discarded = channel.tailMap(sentAtLine[to], false);
        for (List<Logged> atSeq : discarded.values()) atSeq.forEach(m -> group.loggedKeys.remove(m.key()));
        discarded.clear();
      }
    }
    group.keeper = null; // rebuilt from what is live at the next use
  }

  @Override
  public synchronized HostFailurePlan claimedPlan(String eventUuid) {
    return event(eventUuid).plan;
  }

  @Override
  public synchronized List<RecoveryEventView> runningRecoveries() {
    return events.values().stream().filter(e -> e.state == RecoveryState.RUNNING).map(this::view).toList();
  }

  @Override
  public synchronized RecoveryEventView finishRecovery(String eventUuid, boolean succeeded, long replayedMessages,
      String outcome) {
    Event event = event(eventUuid);
    if (event.state == RecoveryState.RUNNING) {
      event.state = succeeded ? RecoveryState.SUCCEEDED : RecoveryState.FAILED;
      event.replayedMessages = replayedMessages;
      event.outcome = outcome;
      event.finished = now();
      event.durationMs = Duration.between(event.started, event.finished).toMillis();
    } else if ((event.state == RecoveryState.SUCCEEDED) != succeeded) {
      throw new ServiceException(Reason.WRONG_STATE, "recovery " + eventUuid + " already ended as " + event.state);
    }
    return view(event);
  }

  @Override
  public synchronized Page<RecoveryEventView> listRecoveryEvents(String groupUuid, PageRequest page) {
    List<RecoveryEventView> newestFirst = new ArrayList<>();
    List<Event> all = group0(groupUuid).events;
    for (int i = all.size() - 1; i >= 0; i--) newestFirst.add(view(all.get(i)));
    return page(newestFirst, page);
  }

  // ---- the keeper and the line ---------------------------------------------------------------------------------

  private LineKeeper keeper(Group group) {
    if (group.keeper == null) {
      if (group.members.isEmpty()) throw new ServiceException(Reason.WRONG_STATE, "group " + group.uuid
          + " has no VM");
      LineKeeper keeper = new LineKeeper(configOf(group));
      for (int vm = 0; vm < group.size(); vm++) {
        List<Artifact> live = new ArrayList<>(group.checkpoints.get(vm).values());
        live.addAll(group.segments.get(vm).values());
        for (Artifact a : live) {
          keeper.record(record(vm, a.report));
          if (a.state == ArtifactState.STABLE) keeper.markStable(vm, a.csn(), 0);
        }
      }
      for (TreeMap<Long, List<Logged>> channel : group.logged.values()) {
        for (List<Logged> atSeq : channel.values()) {
          for (Logged m : atSeq) keeper.markInTransitLogged(message(m.key().from(), m.key().to(), m.report(), 0));
        }
      }
      group.keeper = keeper;
      // The rebuilt keeper finds the line again (a rollback keeps every VM's state at the line).
      advance(group);
    }
    return group.keeper;
  }

  /** Lets the keeper move the line and records the new line if it moved past the group's. */
  private Optional<LineView> advance(Group group) {
    Optional<RecoveryLine> moved = group.keeper.advance();
    if (moved.isEmpty()) return Optional.empty();
    RecoveryLine line = moved.get();
    if (group.lineIndex != null && line.index() <= group.lineIndex) return Optional.empty();
    List<LineEntry> entries = new ArrayList<>(group.size());
    for (int vm = 0; vm < group.size(); vm++) {
      long csn = line.checkpointOf(vm);
      entries.add(new LineEntry(group.members.get(vm).vmUuid, csn, group.checkpoints.get(vm).get(csn).uuid));
    }
    LineView view = new LineView(group.uuid, line.index(), List.copyOf(entries), now());
    group.lines.add(view);
    group.lineIndex = line.index();
    return Optional.of(view);
  }

  /**
   * The survivors as the group's keeper sees them (current executions only, as the catalog's
   * {@code ExecutionView} does): messages of discarded executions left out, an rsn kept only where it numbers a
   * receipt of the receiver's current execution.
   */
  private Survivors currentExecutions(Group group, Survivors reported) {
    return new CurrentExecutions(reported, m -> isStale(group, m),
        (vm, inc, rsn) -> receiverIncarnation(group, vm, inc, rsn));
  }

  private static boolean isStale(Group group, Message m) {
    Member sender = group.members.get(m.from());
    return m.incarnation() < sender.incarnation && sender.rollbackSentCounts != null
        && m.seq() > sender.rollbackSentCounts[m.to()];
  }

  private static int receiverIncarnation(Group group, int vm, int reported, long rsn) {
    Member member = group.members.get(vm);
    return member.keptReceipts.keeps(member.incarnation, reported, rsn) ? 0 : -1;
  }

  private static LogEntry entry(Group group, Message m, long rsn, long position, long receiverIndex, int incarnation) {
    return new LogEntry(m, rsn, position, receiverIndex, receiverIncarnation(group, m.to(), incarnation, rsn));
  }

  /**
   * The keeper numbers every current execution 0; the hosts know the real incarnations. The plan goes to the
   * hosts, so its restores carry the incarnation each VM runs under next and the records as they were reported.
   */
  private static RecoveryPlan inRealIncarnations(Group group, RecoveryPlan plan) {
    List<VmRestore> restores = new ArrayList<>();
    for (VmRestore r : plan.restores()) {
      Member member = group.members.get(r.vm());
      restores.add(new VmRestore(r.vm(), member.incarnation + 1, real(group, r.checkpoint()),
          r.segments().stream().map(s -> real(group, s)).toList(), real(group, r.lineState()), r.replays(),
          r.extension(), r.resends()));
    }
    return new RecoveryPlan(plan.lineIndex(), plan.failed(), plan.rolledBack(), restores);
  }

  private static BoundaryRecord real(Group group, BoundaryRecord r) {
    NavigableMap<Long, Artifact> artifacts = (r.isCheckpoint() ? group.checkpoints : group.segments).get(r.vm());
    Artifact a = artifacts == null ? null : artifacts.get(r.index());
    return r.withIncarnation(a == null ? r.incarnation() : a.report.incarnation());
  }

  /** Where the late messages the plan replays from stable storage lie. */
  private static Map<Message, String> inTransitLocations(Group group, RecoveryPlan plan) {
    Set<Message> wanted = plan.stablyLoggedReplays();
    Map<Message, String> out = new HashMap<>();
    if (wanted.isEmpty()) return out;
    forEachLogged(group, (message, m) -> {
      if (wanted.contains(message)) out.put(message, m.location());
    });
    return out;
  }

  private static Map<Integer, List<LogEntry>> stableInTransit(Group group) {
    Map<Integer, List<LogEntry>> byReceiver = new HashMap<>();
    forEachLogged(group, (message, m) -> byReceiver.computeIfAbsent(message.to(), k -> new ArrayList<>())
        .add(entry(group, message, m.rsn(), m.position(), m.receiverIndex(), m.receiverIncarnation())));
    byReceiver.values().forEach(list -> list.sort(Comparator.comparingLong(LogEntry::rsn)));
    return byReceiver;
  }

  /** Every live logged late message of the group, with the message it holds, channel by channel in seq order. */
  private static void forEachLogged(Group group, java.util.function.BiConsumer<Message, LoggedMessageReport> action) {
    for (TreeMap<Long, List<Logged>> channel : group.logged.values()) {
      for (List<Logged> atSeq : channel.values()) {
        for (Logged logged : atSeq) {
          LoggedMessageReport m = logged.report();
          action.accept(message(logged.key().from(), logged.key().to(), m, m.incarnation()), m);
        }
      }
    }
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  private static BoundaryRecord record(int vm, BoundaryReport r) {
    return new BoundaryRecord(vm, r.index(), 0, r.kind(), r.forced(), r.position(), r.received(), r.sentTo(),
        r.receivedFrom());
  }

  private static Message message(int from, int to, LoggedMessageReport m, int incarnation) {
    return new Message(from, to, m.seq(), m.senderIndex(), incarnation, m.sizeBytes(), m.digest(), m.senderReceived());
  }

  private static int channel(Group group, int from, int to) {
    return from * group.size() + to;
  }

  private static GroupConfig configOf(Group group) {
    return new GroupConfig(group.basePeriodMs, group.members.stream().map(m -> VmClass.parse(m.vmClass)).toList(),
        group.earlyIndex);
  }

  private Group group0(String groupUuid) {
    Group group = groupUuid == null ? null : groups.get(groupUuid);
    if (group == null) throw new ServiceException(Reason.UNKNOWN_GROUP, "no protection group " + groupUuid);
    return group;
  }

  private Member memberIn(Group group, String vmUuid) {
    Member member = memberOfVm.get(vmUuid);
    if (member == null || member.group != group) throw unknownVm(vmUuid, "in group " + group.uuid);
    return member;
  }

  private Event event(String eventUuid) {
    Event event = eventUuid == null ? null : events.get(eventUuid);
    if (event == null) throw new ServiceException(Reason.UNKNOWN_RECOVERY, "no recovery event " + eventUuid);
    return event;
  }

  private static void requireNoCheckpoints(Group group, String action) {
    if (group.hadCheckpoints || group.startedMs != null) {
      throw new ServiceException(Reason.WRONG_STATE, "cannot " + action + " group " + group.uuid
          + ": its protection has started and the protocol numbers a group's VMs once; create a new group instead");
    }
  }

  private static ServiceException unknownVm(String vmUuid, String where) {
    return new ServiceException(Reason.UNKNOWN_VM, "no VM " + vmUuid + " " + where);
  }

  private GroupView view(Group g) {
    return new GroupView(g.uuid, g.name, g.basePeriodMs, g.policy, g.lineIndex, g.created, g.startedMs);
  }

  private RecoveryEventView view(Event e) {
    return new RecoveryEventView(e.uuid, e.group.uuid, e.kind, e.failedRef, e.lineIndex, e.rolledBack,
        e.replayedMessages, e.state, e.outcome, managerId, e.started, e.finished, e.durationMs);
  }

  private static <T> Page<T> page(List<T> all, PageRequest page) {
    int from = Math.min(page.offset(), all.size());
    int to = Math.min(all.size(), from + page.limit());
    return new Page<>(all.subList(from, to), all.size(), page.offset(), page.limit());
  }

  private Instant now() {
    return clock.instant();
  }
}
