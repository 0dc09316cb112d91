package org.vmqsc.server.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A row of {@code vmqsc_recovery_line_entry}: at line {@link #lineId()}, VM {@link #memberId()} restores this checkpoint. */
@Entity
@Table(name = "vmqsc_recovery_line_entry")
public class RecoveryLineEntryEntity {

  @Id @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;
  @Column(name = "line_id", nullable = false, updatable = false)
  private long lineId;
  @Column(name = "member_id", nullable = false, updatable = false)
  private long memberId;
  @Column(name = "checkpoint_id", nullable = false, updatable = false)
  private long checkpointId;
  @Column(nullable = false, updatable = false)
  private long csn;

  protected RecoveryLineEntryEntity() {}

  public RecoveryLineEntryEntity(long lineId, long memberId, long checkpointId, long csn) {
    this.lineId = lineId;
    this.memberId = memberId;
    this.checkpointId = checkpointId;
    this.csn = csn;
  }

  public Long id() { return id; }
  public long lineId() { return lineId; }
  public long memberId() { return memberId; }
  public long checkpointId() { return checkpointId; }
  public long csn() { return csn; }
}
