package org.vmqsc.server.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A row of {@code vmqsc_recovery_line}: a line the group reached; its entries name each VM's checkpoint. */
@Entity
@Table(name = "vmqsc_recovery_line")
public class RecoveryLineEntity {

  @Id @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;
  @Column(nullable = false, updatable = false)
  private String uuid;
  @Column(name = "group_id", nullable = false, updatable = false)
  private long groupId;
  @Column(name = "line_index", nullable = false, updatable = false)
  private long lineIndex;
  @Column(nullable = false, updatable = false)
  private Instant created;
  private Instant removed;

  protected RecoveryLineEntity() {}

  public RecoveryLineEntity(long groupId, long lineIndex, Instant created) {
    this.uuid = UUID.randomUUID().toString();
    this.groupId = groupId;
    this.lineIndex = lineIndex;
    this.created = created;
  }

  public Long id() { return id; }
  public String uuid() { return uuid; }
  public long groupId() { return groupId; }
  public long lineIndex() { return lineIndex; }
  public Instant created() { return created; }
  public Instant removed() { return removed; }

  /** A newer line superseded this one. */
  public void remove(Instant when) { removed = when; }
}
