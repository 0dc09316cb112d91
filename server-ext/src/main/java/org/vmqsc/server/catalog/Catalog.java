package org.vmqsc.server.catalog;

import org.vmqsc.server.service.Checks;
import org.vmqsc.server.service.LoggedMessageReport;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.ServiceException;
import org.vmqsc.server.service.RecoveryState;
import org.vmqsc.server.service.FailureKind;
import static org.vmqsc.server.service.Checks.invalid;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.hibernate.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.manager.Collectible;
import org.vmqsc.protocol.manager.RecoveryLine;
import org.vmqsc.protocol.recovery.KeptReceipts;
import org.vmqsc.protocol.recovery.RecoveryPlan;
import org.vmqsc.protocol.recovery.RecoveryPlanner;
import org.vmqsc.protocol.recovery.Survivors;
import org.vmqsc.protocol.recovery.VmRestore;
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
import org.vmqsc.server.persistence.ArtifactRepository;
import org.vmqsc.server.service.ArtifactState;
import org.vmqsc.server.persistence.BoundaryArtifactEntity;
import org.vmqsc.server.persistence.CatalogDatabase;
import org.vmqsc.server.persistence.CatalogDatabase.Retry;
import org.vmqsc.server.persistence.CheckpointEntity;
import org.vmqsc.server.persistence.GroupMemberEntity;
import org.vmqsc.server.persistence.GroupRepository;
import org.vmqsc.server.persistence.LineRepository;
import org.vmqsc.server.persistence.LogSegmentEntity;
import org.vmqsc.server.persistence.LoggedMessageEntity;
import org.vmqsc.server.persistence.LoggedMessageRepository;
import org.vmqsc.server.persistence.MemberRepository;
import org.vmqsc.server.service.Page;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.persistence.ProtectionGroupEntity;
import org.vmqsc.server.persistence.RecoveryEventEntity;
import org.vmqsc.server.persistence.RecoveryEventRepository;
import org.vmqsc.server.persistence.RecoveryLineEntity;
import org.vmqsc.server.persistence.RecoveryLineEntryEntity;
import org.vmqsc.server.service.RecoveryPolicy;
import org.vmqsc.server.service.HostReport;
import org.vmqsc.server.service.ProtectionService;
import org.vmqsc.protocol.EarlyIndexPolicy;
import org.vmqsc.protocol.GroupConfig;

/**
 * The management side's record of protection groups, checkpoints, log segments, recovery lines and recoveries,
 * on a database shared by every management server.
 *
 * <p>Every state change is one transaction. Changes to a group's protocol state (reports, line moves, collection,
 * rollbacks, membership) first lock the group's row ({@code SELECT ... FOR UPDATE}), so across all managers they
 * happen one at a time per group, each seeing the previous one's committed rows. We chose row locks over optimistic
 * versions because a group receives a burst of reports at every boundary from many hosts at once: with versions
 * most of that burst would fail and retry, while a lock queues it (a report holds the lock for a few milliseconds).
 * The group's {@code state_version} still serves, as a version, to tell whether this manager's cached
 * {@link GroupState} is current (see {@link GroupTransactions} and {@link GroupStateCache}).
 *
 * <p>Reports may be delivered twice, late or out of order: a repeat changes nothing, a staged report after the
 * stable one changes nothing, a stable report before the staged one records the artifact as stable, and a report
 * behind the line or from an execution a recovery discarded is ignored. Unknown VMs and groups are refused with a
 * {@link ServiceException} and logged.
 */
public final class Catalog implements ProtectionService {

  private static final Logger log = LoggerFactory.getLogger(Catalog.class);

  private final CatalogDatabase database;
  private final String managerId;
  private final Clock clock;
  private final GroupTransactions groups;

  /**
   * @param managerId names this management server in the recovery events it claims
   */
  public Catalog(CatalogDatabase database, String managerId, Clock clock) {
    this.database = database;
    this.managerId = Checks.uuid("manager", managerId);
    this.clock = clock;
    this.groups = new GroupTransactions(database, new GroupStateCache());
  }

  public Catalog(CatalogDatabase database, String managerId) {
    this(database, managerId, Clock.systemUTC());
  }

  // ---- groups ------------------------------------------------------------------------------------------------

  /**
   * A new, empty group. A null recovery policy means AUTOMATIC, a null early-index policy the protocol's default
   * (ADVANCE_AND_LOG).
   */
  @Override
  public GroupView createGroup(String name, long basePeriodMs, RecoveryPolicy policy, EarlyIndexPolicy earlyIndex) {
    String checkedName = Checks.name(name);
    long t0 = Checks.basePeriodMs(basePeriodMs);
    RecoveryPolicy checkedPolicy = policy == null ? RecoveryPolicy.AUTOMATIC : policy;
    EarlyIndexPolicy checkedEarlyIndex = earlyIndex == null ? EarlyIndexPolicy.ADVANCE_AND_LOG : earlyIndex;
    return database.inTransaction(Retry.ONLY_ROLLED_BACK, session -> {
      ProtectionGroupEntity group = new ProtectionGroupEntity(checkedName, t0, checkedPolicy, checkedEarlyIndex,
          now());
      session.persist(group);
      log.info("created protection group {} ({}, T0 {} ms)", group.uuid(), checkedName, t0);
      return ViewsOf.group(group);
    });
  }

  /** Changes what is given (null leaves a field as it is); T0 only before the group's first checkpoint. */
  @Override
  public GroupView updateGroup(String groupUuid, String name, Long basePeriodMs, RecoveryPolicy policy) {
    String checkedName = name == null ? null : Checks.name(name);
    Long t0 = basePeriodMs == null ? null : Checks.basePeriodMs(basePeriodMs);
    return database.inTransaction(Retry.IDEMPOTENT, session -> {
      ProtectionGroupEntity group = lockGroup(session, groupUuid);
      if (checkedName != null) group.rename(checkedName);
      if (policy != null) group.setRecoveryPolicy(policy);
      if (t0 != null && t0 != group.basePeriodMs()) {
        requireNoCheckpoints(session, group, "change the base period T0 of");
        group.setBasePeriodMs(t0);
        group.bumpStateVersion();
      }
      return ViewsOf.group(group);
    });
  }

  /** Soft-deletes the group and its memberships; its checkpoints and lines stay as history. */
  @Override
  public void deleteGroup(String groupUuid) {
    database.inTransaction(Retry.IDEMPOTENT, session -> {
      Optional<ProtectionGroupEntity> found = GroupRepository.lock(session, groupUuid);
      if (found.isEmpty()) {
        throw unknownGroup(groupUuid);
      }
      Instant now = now();
      for (GroupMemberEntity member : MemberRepository.ofGroup(session, found.get().id())) {
        member.remove(now);
      }
      found.get().remove(now);
      found.get().bumpStateVersion();
      log.info("deleted protection group {}", groupUuid);
      return null;
    });
  }

  @Override
  public GroupView group(String groupUuid) {
    return database.read(session -> ViewsOf.group(findGroup(session, groupUuid)));
  }

  @Override
  public GroupView startGroup(String groupUuid, long startedMs) {
    long checked = Checks.startedMs(startedMs);
    return database.inTransaction(Retry.IDEMPOTENT, session -> {
      ProtectionGroupEntity group = lockGroup(session, groupUuid);
      if (group.startedMs() == null) {
        if (MemberRepository.ofGroup(session, group.id()).isEmpty()) {
          throw new ServiceException(Reason.WRONG_STATE, "group " + groupUuid + " has no VM yet: add one first");
        }
        group.setStartedMs(checked);
        group.bumpStateVersion();
        log.info("protection of group {} started", groupUuid);
      }
      return ViewsOf.group(group);
    });
  }

  /** T0, each live VM's class in member order (the protocol's VM numbering), and the early-index policy. */
  @Override
  public GroupConfig config(String groupUuid) {
    return database.read(session -> {
      ProtectionGroupEntity group = findGroup(session, groupUuid);
      List<GroupMemberEntity> members = MemberRepository.ofGroup(session, group.id());
      if (members.isEmpty()) {
        throw new ServiceException(Reason.WRONG_STATE, "group " + groupUuid + " has no VM yet: add one first");
      }
      return new GroupConfig(group.basePeriodMs(),
          members.stream().map(m -> org.vmqsc.protocol.VmClass.parse(m.vmClass())).toList(),
          group.earlyIndexPolicy());
    });
  }

  // ---- members -----------------------------------------------------------------------------------------------

  /**
   * Adds a VM with its class (SI or MI_k, k >= 2) on its current host. Membership is fixed once the group has
   * checkpoints, because the protocol numbers a group's VMs once and every report counts messages by that
   * numbering.
   */
  @Override
  public MemberView addVm(String groupUuid, String vmUuid, String vmClass, String hostUuid) {
    String vm = Checks.uuid("VM", vmUuid);
    String checkedClass = Checks.vmClass(vmClass);
    String host = hostUuid == null ? null : Checks.uuid("host", hostUuid);
    return database.inTransaction(Retry.ONLY_ROLLED_BACK, session -> {
      ProtectionGroupEntity group = lockGroup(session, groupUuid);
      Optional<GroupMemberEntity> existing = MemberRepository.byVm(session, vm);
      if (existing.isPresent()) {
        throw new ServiceException(Reason.DUPLICATE_VM, "VM " + vm + " is already in group "
            + groupUuidOf(session, existing.get().groupId()) + "; remove it there first");
      }
      requireNoCheckpoints(session, group, "add a VM to");
      GroupMemberEntity member = new GroupMemberEntity(group.id(), vm, checkedClass, host, now());
      session.persist(member);
      group.bumpStateVersion();
      int number = MemberRepository.ofGroup(session, group.id()).size() - 1;
      log.info("added VM {} ({}) to group {}", vm, checkedClass, groupUuid);
      return ViewsOf.member(member, number);
    });
  }

  @Override
  public void removeVm(String groupUuid, String vmUuid) {
    database.inTransaction(Retry.IDEMPOTENT, session -> {
      ProtectionGroupEntity group = lockGroup(session, groupUuid);
      GroupMemberEntity member = MemberRepository.ofGroup(session, group.id()).stream()
          .filter(m -> m.vmUuid().equals(vmUuid)).findFirst()
          .orElseThrow(() -> unknownVm(vmUuid, "in group " + groupUuid));
      requireNoCheckpoints(session, group, "remove a VM from");
      member.remove(now());
      group.bumpStateVersion();
      return null;
    });
  }

  @Override
  public MemberView changeVmClass(String groupUuid, String vmUuid, String vmClass) {
    String checkedClass = Checks.vmClass(vmClass);
    return database.inTransaction(Retry.IDEMPOTENT, session -> {
      ProtectionGroupEntity group = lockGroup(session, groupUuid);
      List<GroupMemberEntity> members = MemberRepository.ofGroup(session, group.id());
      int number = 0;
      while (number < members.size() && !members.get(number).vmUuid().equals(vmUuid)) number++;
      if (number == members.size()) throw unknownVm(vmUuid, "in group " + groupUuid);
      long count = session.createSelectionQuery("select count(*) from CheckpointEntity where groupId = :group",
          Long.class).setParameter("group", group.id()).getSingleResult();
      if (count > 0 || group.startedMs() != null) throw Checks.classFixed(vmUuid, groupUuid);
      GroupMemberEntity member = members.get(number);
      member.setVmClass(checkedClass);
      group.bumpStateVersion();
      log.info("VM {} of group {} is now {}", vmUuid, groupUuid, checkedClass);
      return ViewsOf.member(member, number);
    });
  }

  /**
   * The VM now runs on {@code hostUuid} (after a migration or a restart elsewhere). Like every change to a
   * group, under the group's row lock; the version bump makes other managers reread the members.
   */
  @Override
  public void moveVm(String vmUuid, String hostUuid) {
    String host = Checks.uuid("host", hostUuid);
    groups.onGroupOfVm(Checks.uuid("VM", vmUuid), (session, locked) -> {
      // The cached member may be detached: change the managed row and the cached copy alike.
      session.get(GroupMemberEntity.class, locked.member().id()).setHostUuid(host);
      locked.member().setHostUuid(host);
      locked.group().bumpStateVersion();
      return null;
    });
  }

  // ---- reports -----------------------------------------------------------------------------------------------

  /**
   * Records one host's batch for one group in one transaction under the group's row lock: every boundary report
   * (staged or stable) and every logged late message, then moves the line once, as far as the batch allows. A
   * batch with a bad report anywhere (unknown VM, wrong counter count, an incarnation no recovery gave, a report
   * contradicting the recorded one) is refused whole with a {@link ServiceException}: nothing of it is recorded.
   *
   * @return RECORDED when the batch recorded something new, MADE_STABLE when it only made recorded artifacts
   *     stable, else DUPLICATE (something was already known) or IGNORED (all of it behind the line or from
   *     discarded executions); {@code lineMoved} is the new line if the batch moved it
   */
  @Override
  public ReportResult report(HostReport batch) {
    return groups.onGroupBumping(batch.groupUuid(), (session, locked) -> {
      GroupState state = locked.state();
      if (batch.isEmpty()) return new ReportResult(ReportOutcome.DUPLICATE, null);
      ProtectionGroupEntity group = locked.group();
      Instant now = now();
      ReportBatch writes = new ReportBatch();
      EnumSet<ReportOutcome> outcomes = EnumSet.noneOf(ReportOutcome.class);
      for (BoundaryReport report : batch.boundaries()) {
        outcomes.add(boundary(group, state, writes, report, batch.hostUuid(), now));
      }
      for (LoggedMessageReport report : batch.loggedMessages()) {
        checkMessage(group, state, report);
      }
      // Everything is checked: only now write. (A refused batch throws before this; the in-memory state it
      // touched is dropped with its transaction, never cached.)
      writes.write(session, state);
      for (LoggedMessageReport report : batch.loggedMessages()) {
        outcomes.add(loggedMessage(session, group, state, report, now));
      }
      ReportOutcome outcome = outcomes.contains(ReportOutcome.RECORDED) ? ReportOutcome.RECORDED
          : outcomes.contains(ReportOutcome.MADE_STABLE) ? ReportOutcome.MADE_STABLE
          : outcomes.contains(ReportOutcome.DUPLICATE) ? ReportOutcome.DUPLICATE : ReportOutcome.IGNORED;
      LineView moved = null;
      if (outcome == ReportOutcome.RECORDED || outcome == ReportOutcome.MADE_STABLE) {
        moved = advance(session, group, state).orElse(null);
        if (!locked.versionBumped()) group.bumpStateVersion();
      }
      return new ReportResult(outcome, moved);
    });
  }

  private ReportOutcome boundary(ProtectionGroupEntity group, GroupState state, ReportBatch writes,
      BoundaryReport report, String hostUuid, Instant now) {
    int vm = state.isEmpty() ? -1 : state.numberOfVm(report.vmUuid());
    if (vm < 0) {
      log.warn("refused a report for VM {}: it is not in group {}", report.vmUuid(), group.uuid());
      throw unknownVm(report.vmUuid(), "in group " + group.uuid());
    }
    GroupMemberEntity member = state.member(vm);
    // One copy of each counter array for all that follows (the report's accessors copy every time).
    long[] sent = report.sentTo();
    long[] received = report.receivedFrom();
    if (sent.length != state.members.size()) {
      throw invalid(report + " carries " + sent.length + " channel counters but the group has "
          + state.members.size() + " VMs");
    }
    if (report.incarnation() < member.incarnation()) {
      log.info("ignored {}: VM is at incarnation {} since a recovery", report, member.incarnation());
      return ReportOutcome.IGNORED;
    }
    if (report.incarnation() > member.incarnation()) {
      throw new ServiceException(Reason.CONFLICTING_REPORT, report + " names incarnation "
          + report.incarnation() + " but no recovery gave VM " + member.vmUuid() + " more than "
          + member.incarnation());
    }
    // The group's state knows every live row (it is current: checked by version under the lock), so a new
    // report costs no lookup and a repeated one no load.
    boolean checkpoint = report.kind() == BoundaryKind.CHECKPOINT;
    GroupState.RowRef known = state.row(vm, report.index(), checkpoint);
    if (known != null) {
      return again(known, vm, checkpoint, report, sent, received, state, writes);
    }
    if (group.lineIndex() != null && report.index() < group.lineIndex()) {
      log.debug("ignored {}: behind the recovery line {}", report, group.lineIndex());
      return ReportOutcome.IGNORED;
    }
    BoundaryArtifactEntity row = newRow(group.id(), member.id(), report, hostUuid, sent, received, now);
    state.add(row, sent, received);
    writes.insert(vm, row, sent, received);
    return ReportOutcome.RECORDED;
  }

  private void checkMessage(ProtectionGroupEntity group, GroupState state, LoggedMessageReport report) {
    if (state.isEmpty() || state.numberOfVm(report.toVmUuid()) < 0) {
      throw unknownVm(report.toVmUuid(), "in group " + group.uuid());
    }
    if (state.numberOfVm(report.fromVmUuid()) < 0) throw unknownVm(report.fromVmUuid(), "in group " + group.uuid());
  }

  private ReportOutcome loggedMessage(Session session, ProtectionGroupEntity group, GroupState state,
      LoggedMessageReport report, Instant now) {
    int toVm = state.numberOfVm(report.toVmUuid());
    GroupMemberEntity to = state.member(toVm);
    GroupMemberEntity from = state.member(state.numberOfVm(report.fromVmUuid()));
    if (report.incarnation() < from.incarnation() && from.rollbackSentCounts() != null
        && report.seq() > from.rollbackSentCounts()[toVm]) {
      // The same rule as ExecutionView.isStale, on uuids.
      log.info("ignored logged message {} -> {} #{}: sent by an execution a recovery discarded",
          report.fromVmUuid(), report.toVmUuid(), report.seq());
      return ReportOutcome.IGNORED;
    }
    if (LoggedMessageRepository.find(session, from.id(), to.id(), report.incarnation(), report.seq()).isPresent()) {
      return ReportOutcome.DUPLICATE;
    }
    LoggedMessageEntity row = new LoggedMessageEntity(group.id(), from.id(), to.id(), report.seq(),
        report.senderIndex(), report.incarnation(), report.sizeBytes(), report.digest(), report.rsn(), report.position(),
        report.receiverIndex(), report.receiverIncarnation(), report.location(), report.senderReceived(), now);
    session.persist(row);
    state.addLoggedMessage(row);
    return ReportOutcome.RECORDED;
  }

  /** Moves the group's line as far as the recorded reports allow (reports already do this; this is for repair). */
  public Optional<LineView> advanceLine(String groupUuid) {
    return groups.onGroup(groupUuid, (session, locked) -> {
      if (locked.state().isEmpty()) return Optional.<LineView>empty();
      Optional<LineView> moved = advance(session, locked.group(), locked.state());
      if (moved.isPresent()) locked.group().bumpStateVersion();
      return moved;
    });
  }

  // ---- collection --------------------------------------------------------------------------------------------

  /**
   * Marks collected (soft-deletes) what lies behind the recovery line: older checkpoints, log segments before
   * each VM's line checkpoint, and logged messages the line contains as received. Returns the locations the
   * stores may now delete.
   */
  @Override
  public CollectionResult collect(String groupUuid, int keptBehindLine) {
    return groups.onGroup(groupUuid, (session, locked) -> {
      GroupState state = locked.state();
      if (state.isEmpty()) return new CollectionResult(0, 0, 0, List.of());
      Collectible behind = state.keeper.collectible(keptBehindLine);
      if (behind.isEmpty()) return new CollectionResult(0, 0, 0, List.of());
      Instant now = now();
      List<String> locations = new ArrayList<>();
      List<String> checkpointLocations = new ArrayList<>();
      List<Long> collectedIds = new ArrayList<>();
      for (BoundaryRecord r : behind.checkpoints()) {
        CheckpointEntity row = session.get(CheckpointEntity.class, state.checkpointRow(r.vm(), r.index()).id());
        row.markCollected(now);
        checkpointLocations.add(row.location());
        collectedIds.add(row.id());
        state.forgetCollected(r.vm(), r.index(), true);
      }
      // A checkpoint taken again of a guest that did not run is the same checkpoint at the same location.
      Set<String> stillNamed = checkpointLocations.isEmpty() ? Set.of() : new HashSet<>(session.createSelectionQuery(
              "select c.location from CheckpointEntity c where c.groupId = :group and c.state in (:staged, :stable)"
                  + " and c.location in (:locations) and c.id not in (:collected)", String.class)
          .setParameter("group", state.groupId)
          .setParameterList("collected", collectedIds)
          .setParameter("staged", ArtifactState.STAGED)
          .setParameter("stable", ArtifactState.STABLE)
          .setParameterList("locations", checkpointLocations)
          .getResultList());
      for (String location : checkpointLocations) if (!stillNamed.contains(location)) locations.add(location);
      for (BoundaryRecord r : behind.segments()) {
        LogSegmentEntity row = session.get(LogSegmentEntity.class, state.segmentRow(r.vm(), r.index()).id());
        row.markCollected(now);
        locations.add(row.location());
        state.forgetCollected(r.vm(), r.index(), false);
      }
      int messages = 0;
      List<LoggedMessageEntity> logged = behind.inTransit().isEmpty()
          ? List.of() : LoggedMessageRepository.live(session, state.groupId);
      for (Collectible.ChannelRange range : behind.inTransit()) {
        long from = state.member(range.from()).id();
        long to = state.member(range.to()).id();
        for (LoggedMessageEntity m : logged) {
          if (m.fromMemberId() == from && m.toMemberId() == to && m.seq() >= range.fromSeq()
              && m.seq() <= range.toSeq()) {
            m.remove(now);
            locations.add(m.location());
            messages++;
          }
        }
      }
      state.keeper.collect(keptBehindLine);
      locked.group().bumpStateVersion();
      return new CollectionResult(behind.checkpoints().size(), behind.segments().size(), messages, locations);
    });
  }

  @Override
  public Set<String> storedLocations() {
    return database.read(session -> {
      Set<String> out = new HashSet<>();
      for (String entity : List.of("CheckpointEntity", "LogSegmentEntity")) {
        out.addAll(session.createSelectionQuery("select a.location from " + entity + " a where a.state in"
                + " (:staged, :stable) and a.groupId in (select g.id from ProtectionGroupEntity g where g.removed"
                + " is null)", String.class)
            .setParameter("staged", ArtifactState.STAGED)
            .setParameter("stable", ArtifactState.STABLE)
            .getResultList());
      }
      out.addAll(session.createSelectionQuery("select m.location from LoggedMessageEntity m where m.removed is null"
          + " and m.groupId in (select g.id from ProtectionGroupEntity g where g.removed is null)", String.class)
          .getResultList());
      return out;
    });
  }

  // ---- recovery ----------------------------------------------------------------------------------------------

  /** The groups with a VM on {@code hostUuid}: the ones a failure of that host concerns. */
  @Override
  public List<String> groupsOnHost(String hostUuid) {
    return database.read(session -> MemberRepository.onHost(session, hostUuid).stream()
        .map(m -> groupUuidOf(session, m.groupId())).distinct().toList());
  }

  /**
   * A VM failed but its host is up: the host restarts it from its latest checkpoint (staged is enough) and
   * replays its volatile receive log; no other VM is touched. This names that checkpoint.
   */
  @Override
  public VmFailurePlan planVmFailure(String vmUuid) {
    return database.read(session -> {
      GroupMemberEntity member = MemberRepository.byVm(session, vmUuid)
          .orElseThrow(() -> unknownVm(vmUuid, "in any group"));
      CheckpointEntity latest = session.createSelectionQuery("from CheckpointEntity where memberId = :member"
              + " and incarnation = :incarnation and removed is null order by csn desc", CheckpointEntity.class)
          .setParameter("member", member.id())
          .setParameter("incarnation", member.incarnation())
          .setMaxResults(1)
          .uniqueResultOptional()
          .orElseThrow(() -> new ServiceException(Reason.WRONG_STATE, "VM " + vmUuid
              + " has no checkpoint yet in its current incarnation: nothing to restart it from"));
      return new VmFailurePlan(vmUuid, member.hostUuid(), latest.uuid(), latest.csn(), latest.state(),
          latest.location());
    });
  }

  /**
   * Plans the recovery of one group with the protocol's planner: {@code failedVmUuids} lost their state (the
   * coordinator decides which: all the group's VMs on a failed host, or one VM); the result names the minimal set
   * of VMs to roll back to the line, what each restores, and the messages to replay. The surviving hosts'
   * counters and logs come from the caller, in the group's VM numbering ({@link #members}).
   */
  @Override
  public HostFailurePlan planRecovery(String groupUuid, Set<String> failedVmUuids, Survivors survivors) {
    if (failedVmUuids == null || failedVmUuids.isEmpty()) throw invalid("a recovery plan needs the failed VMs");
    if (survivors == null) throw invalid("a recovery plan needs what the surviving hosts report");
    return database.read(session -> {
      ProtectionGroupEntity group = findGroup(session, groupUuid);
      GroupState state = GroupState.rebuild(session, group, MemberRepository.ofGroup(session, group.id()));
      Set<Integer> failed = new TreeSet<>();
      for (String vmUuid : failedVmUuids) {
        int vm = state.isEmpty() ? -1 : state.numberOfVm(vmUuid);
        if (vm < 0) throw unknownVm(vmUuid, "in group " + groupUuid);
        failed.add(vm);
      }
      if (state.keeper.line() == null) {
        throw new ServiceException(Reason.WRONG_STATE, "group " + groupUuid
            + " has no recovery line yet: its first checkpoints are not all stable");
      }
      ExecutionView view = new ExecutionView(state);
      List<Logged> logged = loggedMessages(session, state);
      RecoveryPlan plan = RecoveryPlanner.planHostFailure(state.config, state.keeper, failed,
          view.survivors(survivors), stableInTransit(logged, view));
      String failedRef = String.join(",", new TreeSet<>(failedVmUuids));
      return describe(session, groupUuid, failedRef, state, plan, logged);
    });
  }

  /**
   * Claims the recovery of {@code failedRef} in the group for this manager and applies its rollback to the
   * catalog in the same transaction: the rolled-back VMs get their new incarnation, and what their discarded
   * executions left after the line is marked DISCARDED. The plan is kept with the event ({@link #claimedPlan}) so
   * that any manager can resume the recovery. Returns empty when a recovery of {@code failedRef} in the group is
   * already running (claimed by this manager or another): two managers never run the same recovery, and claiming
   * again is harmless.
   */
  @Override
  public Optional<RecoveryEventView> claimRecovery(String groupUuid, FailureKind kind,
      String failedRef, HostFailurePlan plan) {
    String failed = Checks.uuid("failed VM or host", failedRef);
    if (kind == null) throw invalid("a recovery claim needs the kind of failure (VM or HOST)");
    if (plan != null && !groupUuid.equals(plan.groupUuid())) {
      throw invalid("the plan is for group " + plan.groupUuid() + ", not " + groupUuid);
    }
    String planJson = RecoveryPlans.toJson(plan);
    return groups.onGroup(groupUuid, (session, locked) -> {
      if (RecoveryEventRepository.running(session, locked.group().id(), failed).isPresent()) {
        log.info("recovery of {} in group {} is already running", failed, groupUuid);
        return Optional.<RecoveryEventView>empty();
      }
      Long line = locked.group().lineIndex();
      if (plan != null && (line == null || plan.plan().lineIndex() != line)) {
        throw new ServiceException(Reason.WRONG_STATE, "the plan rolls back to line " + plan.plan().lineIndex()
            + " but the group's line is now " + line + ": plan again");
      }
      Instant now = now();
      if (plan != null) {
        rollBack(session, locked, plan.plan(), now);
      }
      String rolledBack = plan == null ? "" : String.join(",", plan.rolledBackVmUuids());
      RecoveryEventEntity event = new RecoveryEventEntity(locked.group().id(), kind, failed, line, rolledBack,
          planJson, managerId, now);
      session.persist(event);
      locked.group().bumpStateVersion();
      return Optional.of(ViewsOf.recoveryEvent(event, groupUuid));
    });
  }

  @Override
  public HostFailurePlan claimedPlan(String eventUuid) {
    return database.read(session -> {
      RecoveryEventEntity event = RecoveryEventRepository.find(session, eventUuid)
          .orElseThrow(() -> new ServiceException(Reason.UNKNOWN_RECOVERY, "no recovery event " + eventUuid));
      HostFailurePlan plan = RecoveryPlans.fromJson(event.plan());
      if (plan == null) {
        throw new ServiceException(Reason.WRONG_STATE, "recovery " + eventUuid + " was claimed without a plan");
      }
      return plan;
    });
  }

  @Override
  public List<RecoveryEventView> runningRecoveries() {
    return database.read(session -> RecoveryEventRepository.runningInLiveGroups(session).stream()
        .map(e -> ViewsOf.recoveryEvent(e, groupUuidOf(session, e.groupId()))).toList());
  }

  /**
   * Records how a claimed recovery ended. Repeating the same outcome changes nothing. Under the group's row lock,
   * like every change to a group: two managers finishing one recovery at once are applied one after the other.
   */
  @Override
  public RecoveryEventView finishRecovery(String eventUuid, boolean succeeded, long replayedMessages, String outcome) {
    return database.inTransaction(Retry.IDEMPOTENT, session -> {
      RecoveryEventEntity event = RecoveryEventRepository.find(session, eventUuid)
          .orElseThrow(() -> new ServiceException(Reason.UNKNOWN_RECOVERY, "no recovery event " + eventUuid));
      GroupRepository.lockIncludingRemoved(session, event.groupId());
      session.refresh(event); // what was committed before we held the lock
      if (event.state() == RecoveryState.RUNNING) {
        event.finish(succeeded, replayedMessages, outcome, now());
      } else if ((event.state() == RecoveryState.SUCCEEDED) != succeeded) {
        throw new ServiceException(Reason.WRONG_STATE, "recovery " + eventUuid + " already ended as "
            + event.state());
      }
      return ViewsOf.recoveryEvent(event, groupUuidOf(session, event.groupId()));
    });
  }

  // ---- listings ----------------------------------------------------------------------------------------------

  @Override
  public Page<GroupView> listGroups(PageRequest page) {
    return database.read(session -> GroupRepository.page(session, page).map(ViewsOf::group));
  }

  /** The group's VMs in their protocol numbering (page offsets count in that order too). */
  @Override
  public Page<MemberView> listMembers(String groupUuid, PageRequest page) {
    return database.read(session -> {
      ProtectionGroupEntity group = findGroup(session, groupUuid);
      Page<GroupMemberEntity> members = MemberRepository.page(session, group.id(), page);
      List<MemberView> views = new ArrayList<>();
      for (int i = 0; i < members.items().size(); i++) {
        views.add(ViewsOf.member(members.items().get(i), page.offset() + i));
      }
      return new Page<>(views, members.total(), members.offset(), members.limit());
    });
  }

  @Override
  public List<MemberView> members(String groupUuid) {
    return listMembers(groupUuid, new PageRequest(0, PageRequest.MAX_LIMIT)).items();
  }

  @Override
  public Page<CheckpointView> listCheckpoints(String groupUuid, boolean includeRemoved, PageRequest page) {
    return database.read(session -> {
      ProtectionGroupEntity group = findGroup(session, groupUuid);
      Map<Long, String> vms = vmUuids(session, group.id());
      return ArtifactRepository.page(session, CheckpointEntity.class, group.id(), includeRemoved, page)
          .map(c -> ViewsOf.checkpoint(c, vms.get(c.memberId())));
    });
  }

  @Override
  public Page<LogSegmentView> listLogSegments(String groupUuid, boolean includeRemoved, PageRequest page) {
    return database.read(session -> {
      ProtectionGroupEntity group = findGroup(session, groupUuid);
      Map<Long, String> vms = vmUuids(session, group.id());
      return ArtifactRepository.page(session, LogSegmentEntity.class, group.id(), includeRemoved, page)
          .map(s -> ViewsOf.logSegment(s, vms.get(s.memberId())));
    });
  }

  /** The lines the group reached, newest first. */
  @Override
  public Page<LineView> listLines(String groupUuid, PageRequest page) {
    return database.read(session -> {
      ProtectionGroupEntity group = findGroup(session, groupUuid);
      return LineRepository.page(session, group.id(), page).map(line -> lineView(session, groupUuid, line));
    });
  }

  @Override
  public Optional<LineView> currentLine(String groupUuid) {
    return database.read(session -> {
      ProtectionGroupEntity group = findGroup(session, groupUuid);
      return LineRepository.current(session, group.id()).map(line -> lineView(session, groupUuid, line));
    });
  }

  @Override
  public Page<RecoveryEventView> listRecoveryEvents(String groupUuid, PageRequest page) {
    return database.read(session -> {
      ProtectionGroupEntity group = findGroup(session, groupUuid);
      return RecoveryEventRepository.page(session, group.id(), page).map(e -> ViewsOf.recoveryEvent(e, groupUuid));
    });
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  private ReportOutcome again(GroupState.RowRef known, int vm, boolean checkpoint, BoundaryReport report,
      long[] sent, long[] received, GroupState state, ReportBatch writes) {
    GroupState.Fingerprint fingerprint = new GroupState.Fingerprint(report.forced(), report.sizeBytes(),
        report.contentDigest(), report.position(), report.received());
    if (!state.sameContent(vm, report.index(), known, fingerprint, sent, received)) {
      GroupState.Fingerprint recorded = known.fingerprint();
      BoundaryRecord counters = state.keeper.recordAt(vm, report.index());
      log.warn("refused {}: it contradicts the report recorded before", report);
      throw new ServiceException(Reason.CONFLICTING_REPORT, report + " contradicts the report recorded before"
          + " (digest " + recorded.contentDigest() + ", size " + recorded.sizeBytes() + ", sent "
          + java.util.Arrays.toString(counters.sentTo()) + ", received "
          + java.util.Arrays.toString(counters.receivedFrom()) + ")");
    }
    if (report.stable() && !known.stable()) {
      writes.makeStable(vm, report.index(), checkpoint, known.id(), report.location());
      state.markStable(vm, report.index(), checkpoint);
      return ReportOutcome.MADE_STABLE;
    }
    return ReportOutcome.DUPLICATE;
  }

  private static BoundaryArtifactEntity newRow(long groupId, long memberId, BoundaryReport r, String hostUuid,
      long[] sent, long[] received, Instant now) {
    ArtifactState state = r.stable() ? ArtifactState.STABLE : ArtifactState.STAGED;
    return r.kind() == BoundaryKind.CHECKPOINT
        ? new CheckpointEntity(groupId, memberId, r.index(), r.incarnation(), r.forced(), hostUuid, state,
            r.sizeBytes(), r.location(), r.contentDigest(), r.position(), r.received(), sent, received, now)
        : new LogSegmentEntity(groupId, memberId, r.index() - 1, r.index(), r.incarnation(), state, r.sizeBytes(),
            r.location(), r.contentDigest(), r.position(), r.received(), sent, received, now);
  }

  /** Lets the keeper move the line and, if it moved, records the new line and supersedes the old one. */
  private Optional<LineView> advance(Session session, ProtectionGroupEntity group, GroupState state) {
    Optional<RecoveryLine> moved = state.keeper.advance();
    if (moved.isEmpty()) return Optional.empty();
    RecoveryLine line = moved.get();
    Instant now = now();
    // One statement supersedes the current line (if any) and records the new index on the group row; a report's
    // group row is locked without being loaded (see GroupTransactions.onGroupBumping), so it is written here.
    session.createNativeMutationQuery("UPDATE vmqsc_protection_group g LEFT JOIN vmqsc_recovery_line l"
            + " ON l.group_id = g.id AND l.removed IS NULL SET g.line_index = :line, l.removed = :now"
            + " WHERE g.id = :group")
        .setParameter("line", line.index())
        .setParameter("now", now)
        .setParameter("group", group.id())
        .executeUpdate();
    group.setLineIndex(line.index());
    RecoveryLineEntity row = new RecoveryLineEntity(group.id(), line.index(), now);
    session.persist(row);
    // One multi-row INSERT for the entries: a line of a large group would otherwise cost one round trip per VM.
    // Plain JDBC: the statement holds numbers only and differs every time, nothing for Hibernate to parse or cache.
    StringBuilder insert = new StringBuilder(
        "INSERT INTO vmqsc_recovery_line_entry (line_id, member_id, checkpoint_id, csn) VALUES ");
    List<LineEntry> entries = new ArrayList<>();
    for (int vm = 0; vm < state.members.size(); vm++) {
      long csn = line.checkpointOf(vm);
      GroupState.RowRef checkpoint = state.checkpointRow(vm, csn);
      insert.append(vm == 0 ? "" : ",").append('(').append(row.id()).append(',').append(state.member(vm).id())
          .append(',').append(checkpoint.id()).append(',').append(csn).append(')');
      entries.add(new LineEntry(state.member(vm).vmUuid(), csn, checkpoint.uuid()));
    }
    session.doWork(connection -> {
      try (java.sql.PreparedStatement statement = connection.prepareStatement(insert.toString())) {
        statement.executeUpdate();
      }
    });
    log.debug("group {} line moved to {}", group.uuid(), line);
    return Optional.of(new LineView(group.uuid(), line.index(), entries, now));
  }

  private void rollBack(Session session, GroupTransactions.Locked locked, RecoveryPlan plan, Instant now) {
    GroupState state = locked.state();
    for (VmRestore restore : plan.restores()) {
      GroupMemberEntity member = session.get(GroupMemberEntity.class, state.member(restore.vm()).id());
      long[] sentAtLine = restore.sentToAfterRecovery();
      KeptReceipts kept = KeptReceipts.of(member.keptReceipts())
          .afterRestore(member.incarnation(), restore.receivedAfterRecovery());
      member.rolledBack(member.incarnation() + 1, sentAtLine, kept.toArray());
      for (Class<? extends BoundaryArtifactEntity> type : List.of(CheckpointEntity.class, LogSegmentEntity.class)) {
        // Each VM recovers to its own state, at or after the line: what its execution left after that goes.
        long recovered = restore.lineState().index();
        for (BoundaryArtifactEntity row : ArtifactRepository.liveAfter(session, type, member.id(), recovered)) {
          row.markDiscarded(now);
        }
      }
      for (LoggedMessageEntity m : LoggedMessageRepository.live(session, state.groupId)) {
        if (m.fromMemberId() == member.id() && m.seq() > sentAtLine[state.numberOf(m.toMemberId())]) {
          m.remove(now);
        }
      }
    }
    // The in-memory state still holds the discarded rows: drop it, the next change rebuilds from the rows.
    state.stale = true;
  }

  /** A live row of a stably logged late message, with the message it holds in the group's VM numbers. */
  private record Logged(Message message, LoggedMessageEntity row) {}

  /** The group's stably logged late messages, read once for a plan (a message may have a row per receiver run). */
  private static List<Logged> loggedMessages(Session session, GroupState state) {
    List<Logged> out = new ArrayList<>();
    for (LoggedMessageEntity m : LoggedMessageRepository.live(session, state.groupId)) {
      out.add(new Logged(new Message(state.numberOf(m.fromMemberId()), state.numberOf(m.toMemberId()), m.seq(),
          m.csn(), m.incarnation(), m.sizeBytes(), m.digest(), m.senderReceived()), m));
    }
    return out;
  }

  private static Map<Integer, List<LogEntry>> stableInTransit(List<Logged> logged, ExecutionView view) {
    Map<Integer, List<LogEntry>> byReceiver = new HashMap<>();
    for (Logged l : logged) {
      LoggedMessageEntity m = l.row();
      byReceiver.computeIfAbsent(l.message().to(), k -> new ArrayList<>())
          .add(view.entry(l.message(), m.rsn(), m.position(), m.receiverIndex(), m.receiverIncarnation()));
    }
    byReceiver.values().forEach(list -> list.sort((a, b) -> Long.compare(a.rsn(), b.rsn())));
    return byReceiver;
  }

  private HostFailurePlan describe(Session session, String groupUuid, String failedRef, GroupState state,
      RecoveryPlan keeperPlan, List<Logged> logged) {
    List<MemberView> members = new ArrayList<>();
    for (int vm = 0; vm < state.members.size(); vm++) members.add(ViewsOf.member(state.member(vm), vm));
    List<RestoreStep> steps = new ArrayList<>();
    List<VmRestore> restores = new ArrayList<>();
    for (VmRestore restore : keeperPlan.restores()) {
      GroupMemberEntity member = state.member(restore.vm());
      CheckpointEntity checkpoint = session.get(CheckpointEntity.class,
          state.checkpointRow(restore.vm(), restore.checkpoint().index()).id());
      List<LogSegmentEntity> segmentRows = restore.segments().stream()
          .map(s -> session.get(LogSegmentEntity.class, state.segmentRow(restore.vm(), s.index()).id())).toList();
      steps.add(new RestoreStep(member.vmUuid(), member.incarnation() + 1, checkpoint.uuid(), checkpoint.csn(),
          checkpoint.location(), segmentRows.stream().map(LogSegmentEntity::location).toList(),
          restore.replays().size()));
      // The keeper numbers every current execution 0; the hosts know the real incarnations.
      List<BoundaryRecord> segments = new ArrayList<>();
      for (int i = 0; i < segmentRows.size(); i++) {
        segments.add(restore.segments().get(i).withIncarnation(segmentRows.get(i).incarnation()));
      }
      BoundaryRecord lineState = restore.lineState();
      int lineIncarnation = lineState.isCheckpoint() ? checkpoint.incarnation()
          : segmentRows.isEmpty() ? checkpoint.incarnation() : segmentRows.get(segmentRows.size() - 1).incarnation();
      restores.add(new VmRestore(restore.vm(), member.incarnation() + 1,
          restore.checkpoint().withIncarnation(checkpoint.incarnation()), segments,
          lineState.withIncarnation(lineIncarnation), restore.replays(), restore.extension(), restore.resends()));
    }
    RecoveryPlan plan = new RecoveryPlan(keeperPlan.lineIndex(), keeperPlan.failed(), keeperPlan.rolledBack(),
        restores);
    List<String> rolledBack = plan.rolledBack().stream().map(vm -> state.member(vm).vmUuid()).toList();
    return new HostFailurePlan(groupUuid, failedRef, Collections.unmodifiableList(members), plan,
        rolledBack, steps, inTransitLocations(logged, plan));
  }

  /** Where the late messages the plan replays from stable storage lie. */
  private static Map<Message, String> inTransitLocations(List<Logged> logged, RecoveryPlan plan) {
    Set<Message> wanted = plan.stablyLoggedReplays();
    Map<Message, String> out = new HashMap<>();
    for (Logged l : logged) if (wanted.contains(l.message())) out.put(l.message(), l.row().location());
    return out;
  }


  private LineView lineView(Session session, String groupUuid, RecoveryLineEntity line) {
    Map<Long, String> vms = vmUuids(session, line.groupId());
    List<LineEntry> entries = new ArrayList<>();
    for (RecoveryLineEntryEntity e : LineRepository.entries(session, line.id())) {
      entries.add(new LineEntry(vms.get(e.memberId()), e.csn(),
          session.get(CheckpointEntity.class, e.checkpointId()).uuid()));
    }
    return new LineView(groupUuid, line.lineIndex(), entries, line.created());
  }

  private Map<Long, String> vmUuids(Session session, long groupId) {
    return session.createSelectionQuery("from GroupMemberEntity where groupId = :group", GroupMemberEntity.class)
        .setParameter("group", groupId).getResultList().stream()
        .collect(Collectors.toMap(GroupMemberEntity::id, GroupMemberEntity::vmUuid));
  }

  private void requireNoCheckpoints(Session session, ProtectionGroupEntity group, String action) {
    long count = session.createSelectionQuery("select count(*) from CheckpointEntity where groupId = :group",
        Long.class).setParameter("group", group.id()).getSingleResult();
    if (count > 0 || group.startedMs() != null) {
      throw new ServiceException(Reason.WRONG_STATE, "cannot " + action + " group " + group.uuid()
          + ": its protection has started and the protocol numbers a group's VMs once; create a new group instead");
    }
  }

  private static ProtectionGroupEntity lockGroup(Session session, String groupUuid) {
    return GroupTransactions.lockGroup(session, groupUuid);
  }

  private static ProtectionGroupEntity findGroup(Session session, String groupUuid) {
    return GroupTransactions.findGroup(session, groupUuid);
  }

  private static String groupUuidOf(Session session, long groupId) {
    return session.get(ProtectionGroupEntity.class, groupId).uuid();
  }

  private static ServiceException unknownGroup(String groupUuid) {
    return GroupTransactions.unknownGroup(groupUuid);
  }

  private static ServiceException unknownVm(String vmUuid, String where) {
    return GroupTransactions.unknownVm(vmUuid, where);
  }

  private Instant now() {
    return clock.instant();
  }
}
