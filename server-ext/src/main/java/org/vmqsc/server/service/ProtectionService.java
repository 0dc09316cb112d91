package org.vmqsc.server.service;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.vmqsc.protocol.EarlyIndexPolicy;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.recovery.Survivors;
import org.vmqsc.server.service.Views.CheckpointView;
import org.vmqsc.server.service.Views.CollectionResult;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.HostFailurePlan;
import org.vmqsc.server.service.Views.LineView;
import org.vmqsc.server.service.Views.LogSegmentView;
import org.vmqsc.server.service.Views.MemberView;
import org.vmqsc.server.service.Views.RecoveryEventView;
import org.vmqsc.server.service.Views.ReportResult;
import org.vmqsc.server.service.Views.VmFailurePlan;

/**
 * The manager's whole API as one Java interface: what the CloudStack API commands, the standalone HTTP API, the UI,
 * the recovery coordinator and the simulator call. Everything is named by uuid; VM numbers (0..n-1, the order of
 * {@link #members}) appear only where the protocol's own values do. Views are plain values: no persistence type,
 * no CloudStack type.
 *
 * <p>Two implementations pass one contract suite: the catalog on MariaDB/MySQL (every change one transaction,
 * safe with several managers on one database) and an in-memory one over the protocol's {@code LineKeeper} (the
 * simulator's, and a single manager's without a database).
 *
 * <p>Bad input ({@link ServiceException} with reason BAD_PARAMETER, UNKNOWN_*, WRONG_STATE, CONFLICTING_REPORT)
 * changes nothing.
 */
public interface ProtectionService {

  // ---- groups ------------------------------------------------------------------------------------------------

  GroupView createGroup(String name, long basePeriodMs, RecoveryPolicy recoveryPolicy, EarlyIndexPolicy earlyIndex);

  /** Null arguments keep the current value. T0 can change only before the group's first checkpoint. */
  GroupView updateGroup(String groupUuid, String name, Long basePeriodMs, RecoveryPolicy recoveryPolicy);

  /** Soft-deletes the group with its members and artifacts (they stay as history). */
  void deleteGroup(String groupUuid);

  GroupView group(String groupUuid);

  /**
   * The group's protection starts: its base boundary 0 is at wall-clock {@code startedMs}. Once only: a group
   * already started keeps its start, which is returned. A group without VMs cannot start.
   */
  GroupView startGroup(String groupUuid, long startedMs);

  Page<GroupView> listGroups(PageRequest page);

  /** The protocol's view of the group (T0, each VM's class in member order, early-index policy). */
  GroupConfig config(String groupUuid);

  /** The group {@code vmUuid} is a member of, if any (a scan; an implementation may answer it by index). */
  default Optional<String> groupOfVm(String vmUuid) {
    for (int offset = 0; ; offset += 500) {
      Page<GroupView> page = listGroups(new PageRequest(offset, 500));
      for (GroupView g : page.items()) {
        if (members(g.uuid()).stream().anyMatch(m -> m.vmUuid().equals(vmUuid))) return Optional.of(g.uuid());
      }
      if (offset + page.items().size() >= page.total()) return Optional.empty();
    }
  }

  // ---- members -----------------------------------------------------------------------------------------------

  /** @param vmClass "SI" or "MI_k" (k >= 2) */
  MemberView addVm(String groupUuid, String vmUuid, String vmClass, String hostUuid);

  void removeVm(String groupUuid, String vmUuid);

  /**
   * The VM's class is now {@code vmClass} ("SI" or "MI_k"). Only before the group starts: the line keeper and the
   * planner read each VM's recorded boundaries by its class (a checkpoint at every k-th index), so a class changed
   * under a running group would misread the boundaries recorded before the change.
   */
  MemberView changeVmClass(String groupUuid, String vmUuid, String vmClass);

  /** The VM now runs on {@code hostUuid} (placed or restored there). */
  void moveVm(String vmUuid, String hostUuid);

  /** Every live member, in the group's VM numbering. */
  List<MemberView> members(String groupUuid);

  Page<MemberView> listMembers(String groupUuid, PageRequest page);

  /** The groups with a VM on {@code hostUuid}: the ones a failure of that host concerns. */
  List<String> groupsOnHost(String hostUuid);

  // ---- reports -----------------------------------------------------------------------------------------------

  /**
   * One host's reports for one group, as the host produces them (one batch per boundary or completion), recorded
   * in one transaction; moves the line if they allow it. Repeated, late and out-of-order reports change nothing
   * they should not; a batch with a bad report changes nothing at all.
   */
  ReportResult report(HostReport batch);

  // ---- line, artifacts, collection ---------------------------------------------------------------------------

  Optional<LineView> currentLine(String groupUuid);

  Page<LineView> listLines(String groupUuid, PageRequest page);

  Page<CheckpointView> listCheckpoints(String groupUuid, boolean includeRemoved, PageRequest page);

  Page<LogSegmentView> listLogSegments(String groupUuid, boolean includeRemoved, PageRequest page);

  /** Marks collected what lies behind the line; returns what the stores may delete. */
  default CollectionResult collect(String groupUuid) {
    return collect(groupUuid, 0);
  }

  /**
   * As {@link #collect(String)}, keeping each VM's {@code keptBehindLine} latest checkpoints behind the line (and
   * the log segments after them) live: a later call collects them once they fall out of that window.
   */
  CollectionResult collect(String groupUuid, int keptBehindLine);

  /**
   * Where everything the catalog still counts on is stored: the live checkpoints, log segments and logged messages
   * of the groups not deleted. Anything else a store holds is left over (collected or discarded while a host could
   * not hear of it, or of a deleted group) and may go once it is older than any report still on its way.
   */
  java.util.Set<String> storedLocations();

  // ---- recovery ----------------------------------------------------------------------------------------------

  /** A VM failed on a host that is up: the checkpoint its host restarts it from. */
  VmFailurePlan planVmFailure(String vmUuid);

  /**
   * Plans a recovery with the protocol's planner: {@code failedVmUuids} lost their state; {@code survivors} is a
   * snapshot of what the surviving hosts reported (no call back to any host).
   */
  HostFailurePlan planRecovery(String groupUuid, Set<String> failedVmUuids, Survivors survivors);

  /**
   * Claims the recovery of {@code failedRef} for this manager and applies the plan's rollback (new incarnations,
   * discarded artifacts) in the same transaction, keeping the plan so that any manager can resume it. Empty when
   * a recovery of {@code failedRef} in the group is already running.
   */
  Optional<RecoveryEventView> claimRecovery(String groupUuid, FailureKind kind, String failedRef,
                                            HostFailurePlan plan);

  /** The plan a claimed recovery carries out, to resume it after a crash. */
  HostFailurePlan claimedPlan(String eventUuid);

  /** Recoveries claimed and not finished (by any manager): what a manager resumes at start-up. */
  List<RecoveryEventView> runningRecoveries();

  /** Records how a claimed recovery ended. Repeating the same outcome changes nothing. */
  RecoveryEventView finishRecovery(String eventUuid, boolean succeeded, long replayedMessages, String outcome);

  Page<RecoveryEventView> listRecoveryEvents(String groupUuid, PageRequest page);
}
