package org.vmqsc.server.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Table;
import java.time.Duration;
import java.time.Instant;
import org.vmqsc.server.service.FailureKind;
import org.vmqsc.server.service.RecoveryState;

/** A row of {@code vmqsc_recovery_event}: one recovery, from its claim by a manager to its outcome. */
@Entity
@Table(name = "vmqsc_recovery_event")
public class RecoveryEventEntity extends CloudStackRow {

  @Column(name = "group_id", nullable = false, updatable = false)
  private long groupId;
  @Enumerated(EnumType.STRING) @Column(name = "failure_kind", nullable = false, updatable = false)
  private FailureKind failureKind;
  @Column(name = "failed_ref", nullable = false, updatable = false)
  private String failedRef;
  @Column(name = "line_index")
  private Long lineIndex;
  /** uuids of the VMs rolled back, comma separated. */
  @Column(name = "rolled_back", nullable = false)
  private String rolledBack;
  /** The claimed plan as JSON (see {@code RecoveryPlans}); null for a claim without a plan. */
  @Column(name = "plan", updatable = false)
  private String plan;
  @Column(name = "replayed_messages", nullable = false)
  private long replayedMessages;
  @Enumerated(EnumType.STRING) @Column(nullable = false)
  private RecoveryState state;
  private String outcome;
  @Column(nullable = false, updatable = false)
  private String owner;
  @Column(nullable = false, updatable = false)
  private Instant started;
  private Instant finished;
  @Column(name = "duration_ms")
  private Long durationMs;

  protected RecoveryEventEntity() {}

  public RecoveryEventEntity(long groupId, FailureKind failureKind, String failedRef, Long lineIndex,
      String rolledBack, String plan, String owner, Instant started) {
    super(started);
    this.groupId = groupId;
    this.failureKind = failureKind;
    this.failedRef = failedRef;
    this.lineIndex = lineIndex;
    this.rolledBack = rolledBack;
    this.plan = plan;
    this.state = RecoveryState.RUNNING;
    this.owner = owner;
    this.started = started;
  }

  public long groupId() { return groupId; }
  public FailureKind failureKind() { return failureKind; }
  public String failedRef() { return failedRef; }
  public Long lineIndex() { return lineIndex; }
  public String rolledBack() { return rolledBack; }
  public String plan() { return plan; }
  public long replayedMessages() { return replayedMessages; }
  public RecoveryState state() { return state; }
  public String outcome() { return outcome; }
  public String owner() { return owner; }
  public Instant started() { return started; }
  public Instant finished() { return finished; }
  public Long durationMs() { return durationMs; }

  public void finish(boolean succeeded, long replayedMessages, String outcome, Instant when) {
    this.state = succeeded ? RecoveryState.SUCCEEDED : RecoveryState.FAILED;
    this.replayedMessages = replayedMessages;
    this.outcome = outcome;
    this.finished = when;
    this.durationMs = Duration.between(started, when).toMillis();
  }
}
