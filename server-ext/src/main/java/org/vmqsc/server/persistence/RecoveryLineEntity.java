package org.vmqsc.server.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.time.Instant;

/** A row of {@code vmqsc_recovery_line}: a line the group reached; its entries name each VM's checkpoint. */
@Entity
@Table(name = "vmqsc_recovery_line")
public class RecoveryLineEntity extends CloudStackRow {

  @Column(name = "group_id", nullable = false, updatable = false)
  private long groupId;
  @Column(name = "line_index", nullable = false, updatable = false)
  private long lineIndex;

  protected RecoveryLineEntity() {}

  public RecoveryLineEntity(long groupId, long lineIndex, Instant created) {
    super(created);
    this.groupId = groupId;
    this.lineIndex = lineIndex;
  }

  public long groupId() { return groupId; }
  public long lineIndex() { return lineIndex; }
}
