package org.vmqsc.server.service;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.recovery.RecoveryPlan;

/** What the protection service hands out: plain values, detached from any session, named by uuid. */
public final class Views {

  private Views() {}

  /** @param startedMs wall-clock ms of the group's base boundary 0, when hosts started protecting it; null before */
  public record GroupView(String uuid, String name, long basePeriodMs, RecoveryPolicy recoveryPolicy,
                          Long lineIndex, Instant created, Long startedMs) {
  }

  /** @param number the VM's number inside the group (0..n-1), as hosts and the protocol use it */
  public record MemberView(String uuid, String vmUuid, int number, String vmClass, String hostUuid,
                           int incarnation, Instant created) {
  }

  /**
   * @param hostUuid the host that took it (a VM's first checkpoint on a host stores its whole image there, later
   *                 ones what changed); null for checkpoints recorded before hosts were
   * @param received how many messages the VM had received in all at this boundary (its traffic, for advice)
   */
  public record CheckpointView(String uuid, String vmUuid, long index, int incarnation, boolean forced,
                               ArtifactState state, long sizeBytes, String location, String contentDigest,
                               Instant created, long received, String hostUuid) {
  }

  /**
   * @param sizeBytes the bytes of the messages the VM received in the interval, which the segment logs
   * @param received  how many messages the VM had received in all at the segment's end
   */
  public record LogSegmentView(String uuid, String vmUuid, long firstIndex, long index, int incarnation,
                               ArtifactState state, long sizeBytes, String location, String contentDigest,
                               Instant created, long received) {
  }

  /** A recovery line: for each VM, the checkpoint it restores (its index <= the line's) and where that checkpoint is. */
  public record LineView(String groupUuid, long index, List<LineEntry> entries, Instant created) {
    public long checkpointIndexOf(String vmUuid) {
      return entries.stream().filter(e -> e.vmUuid().equals(vmUuid)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException(vmUuid + " is not on the line")).checkpointIndex();
    }
  }

  public record LineEntry(String vmUuid, long checkpointIndex, String checkpointUuid) {}

  /** How a report changed the catalog. */
  public enum ReportOutcome {
    /** New: recorded. */
    RECORDED,
    /** Already recorded as staged, now stable. */
    MADE_STABLE,
    /** Already known (a duplicate, or a staged report after the stable one): nothing changed. */
    DUPLICATE,
    /** Behind the recovery line, or of an execution a recovery discarded: nothing changed. */
    IGNORED
  }

  /** @param lineMoved the new recovery line when this report moved it, else null */
  public record ReportResult(ReportOutcome outcome, LineView lineMoved) {
    public boolean changedSomething() {
      return outcome == ReportOutcome.RECORDED || outcome == ReportOutcome.MADE_STABLE;
    }
  }

  /** What {@code collect} marked collected; the stores delete {@code locations}. */
  public record CollectionResult(int checkpoints, int logSegments, int loggedMessages, List<String> locations) {}

  /**
   * The plan for a recovery in one group, with the protocol's plan (VM numbers as in {@code members}) and the
   * same facts by uuid.
   *
   * @param failedRef          what failed: a host's uuid, or a VM's
   * @param inTransitLocations where each stably logged late message that the plan replays lies on stable storage
   */
  public record HostFailurePlan(String groupUuid, String failedRef, List<MemberView> members,
                                RecoveryPlan plan, List<String> rolledBackVmUuids, List<RestoreStep> restores,
                                Map<Message, String> inTransitLocations) {}

  /** One rolled-back VM: the checkpoint it restores, the segments it replays, the incarnation it runs under. */
  public record RestoreStep(String vmUuid, int newIncarnation, String checkpointUuid, long checkpointIndex,
                            String checkpointLocation, List<String> segmentLocations, int replayedMessages) {}

  /** A VM failure on a surviving host: restart the VM there from its latest checkpoint and its volatile log. */
  public record VmFailurePlan(String vmUuid, String hostUuid, String checkpointUuid, long checkpointIndex,
                              ArtifactState checkpointState, String checkpointLocation) {}

  public record RecoveryEventView(String uuid, String groupUuid, FailureKind failureKind,
                                  String failedRef, Long lineIndex, List<String> rolledBack, long replayedMessages,
                                  RecoveryState state, String outcome, String owner, Instant started,
                                  Instant finished, Long durationMs) {
  }
}
