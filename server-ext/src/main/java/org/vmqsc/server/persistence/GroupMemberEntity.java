package org.vmqsc.server.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.time.Instant;

/** A row of {@code vmqsc_group_member}: a VM in a group, its class and its current host. */
@Entity
@Table(name = "vmqsc_group_member")
public class GroupMemberEntity extends CloudStackRow {

  @Column(name = "group_id", nullable = false, updatable = false)
  private long groupId;
  @Column(name = "vm_uuid", nullable = false, updatable = false)
  private String vmUuid;
  /** "SI", "MI_k" or "MI_k@phase", as the protocol's VmClass prints it (at most 16 characters). */
  @Column(name = "vm_class", nullable = false)
  private String vmClass;
  @Column(name = "host_uuid")
  private String hostUuid;
  @Column(nullable = false)
  private int incarnation;
  /** Per channel, how many messages the VM had sent at the line of its last rollback (null: never rolled back). */
  @jakarta.persistence.Convert(converter = CountersConverter.class) @Column(name = "rollback_sent_counts")
  private long[] rollbackSentCounts;
  /** Per ended incarnation, how many of its receipts the current execution holds (see {@code KeptReceipts}). */
  @jakarta.persistence.Convert(converter = CountersConverter.class) @Column(name = "kept_receipts")
  private long[] keptReceipts;

  protected GroupMemberEntity() {}

  public GroupMemberEntity(long groupId, String vmUuid, String vmClass, String hostUuid, Instant created) {
    super(created);
    this.groupId = groupId;
    this.vmUuid = vmUuid;
    this.vmClass = vmClass;
    this.hostUuid = hostUuid;
  }

  public long groupId() { return groupId; }
  public String vmUuid() { return vmUuid; }
  public String vmClass() { return vmClass; }
  public String hostUuid() { return hostUuid; }
  public int incarnation() { return incarnation; }

  public void setHostUuid(String hostUuid) { this.hostUuid = hostUuid; }
  /** Only before the group starts (the service checks it). */
  public void setVmClass(String vmClass) { this.vmClass = vmClass; }
  public long[] rollbackSentCounts() { return rollbackSentCounts == null ? null : rollbackSentCounts.clone(); }
  public long[] keptReceipts() { return keptReceipts == null ? null : keptReceipts.clone(); }

  /**
   * A recovery restarted the VM from the line where it had sent {@code sentAtLine}, under a new incarnation; of
   * its incarnations' receipts it holds {@code keptReceipts}.
   */
  public void rolledBack(int newIncarnation, long[] sentAtLine, long[] keptReceipts) {
    this.incarnation = newIncarnation;
    this.rollbackSentCounts = sentAtLine.clone();
    this.keptReceipts = keptReceipts.clone();
  }
}
