package org.vmqsc.server.persistence;

import org.vmqsc.server.service.RecoveryPolicy;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Table;
import java.time.Instant;
import org.vmqsc.protocol.EarlyIndexPolicy;

/** A row of {@code vmqsc_protection_group}. */
@Entity
@Table(name = "vmqsc_protection_group")
public class ProtectionGroupEntity extends CloudStackRow {

  @Column(nullable = false)
  private String name;
  @Column(name = "base_period_ms", nullable = false)
  private long basePeriodMs;
  @Enumerated(EnumType.STRING) @Column(name = "recovery_policy", nullable = false)
  private RecoveryPolicy recoveryPolicy;
  @Enumerated(EnumType.STRING) @Column(name = "early_index_policy", nullable = false)
  private EarlyIndexPolicy earlyIndexPolicy;
  @Column(name = "line_index")
  private Long lineIndex;
  /** Wall-clock ms of the group's base boundary 0; null until the group is enabled. */
  @Column(name = "started_ms")
  private Long startedMs;
  /** Bumped by every change to the group's protocol state; tells a cached line keeper whether it is current. */
  @Column(name = "state_version", nullable = false)
  private long stateVersion;

  protected ProtectionGroupEntity() {}

  public ProtectionGroupEntity(String name, long basePeriodMs, RecoveryPolicy recoveryPolicy,
      EarlyIndexPolicy earlyIndexPolicy, Instant created) {
    super(created);
    this.name = name;
    this.basePeriodMs = basePeriodMs;
    this.recoveryPolicy = recoveryPolicy;
    this.earlyIndexPolicy = earlyIndexPolicy;
  }

  public String name() { return name; }
  public long basePeriodMs() { return basePeriodMs; }
  public RecoveryPolicy recoveryPolicy() { return recoveryPolicy; }
  public EarlyIndexPolicy earlyIndexPolicy() { return earlyIndexPolicy; }
  public Long lineIndex() { return lineIndex; }
  public long stateVersion() { return stateVersion; }
  public Long startedMs() { return startedMs; }

  public void rename(String name) { this.name = name; }
  public void setBasePeriodMs(long basePeriodMs) { this.basePeriodMs = basePeriodMs; }
  public void setRecoveryPolicy(RecoveryPolicy recoveryPolicy) { this.recoveryPolicy = recoveryPolicy; }
  public void setLineIndex(long lineIndex) { this.lineIndex = lineIndex; }
  public void setStartedMs(long startedMs) { this.startedMs = startedMs; }
  public void bumpStateVersion() { stateVersion++; }
}
