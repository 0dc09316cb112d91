package org.vmqsc.server.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A row of {@code vmqsc_group_member}: a VM in a group, its class and its current host. */
@Entity
@Table(name = "vmqsc_group_member")
public class GroupMemberEntity {

  @Id @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;
  @Column(nullable = false, updatable = false)
  private String uuid;
  @Column(name = "group_id", nullable = false, updatable = false)
  private long groupId;
  @Column(name = "vm_uuid", nullable = false, updatable = false)
  private String vmUuid;
  /** "SI" or "MI_k", as the protocol's VmClass prints it. */
  @Column(name = "vm_class", nullable = false)
  private String vmClass;
  @Column(name = "host_uuid")
  private String hostUuid;
  @Column(nullable = false)
  private int incarnation;
  /** Per channel, how many messages the VM had sent at the line of its last rollback (null: never rolled back). */
  @jakarta.persistence.Convert(converter = CountersConverter.class) @Column(name = "rollback_sent_counts")
  private long[] rollbackSentCounts;
  @Column(nullable = false, updatable = false)
  private Instant created;
  private Instant removed;

  protected GroupMemberEntity() {}

  public GroupMemberEntity(long groupId, String vmUuid, String vmClass, String hostUuid, Instant created) {
    this.uuid = UUID.randomUUID().toString();
    this.groupId = groupId;
    this.vmUuid = vmUuid;
    this.vmClass = vmClass;
    this.hostUuid = hostUuid;
    this.created = created;
  }

  public Long id() { return id; }
  public String uuid() { return uuid; }
  public long groupId() { return groupId; }
  public String vmUuid() { return vmUuid; }
  public String vmClass() { return vmClass; }
  public String hostUuid() { return hostUuid; }
  public int incarnation() { return incarnation; }
  public Instant created() { return created; }
  public Instant removed() { return removed; }

  public void setVmClass(String vmClass) { this.vmClass = vmClass; }
  public void setHostUuid(String hostUuid) { this.hostUuid = hostUuid; }
  public long[] rollbackSentCounts() { return rollbackSentCounts == null ? null : rollbackSentCounts.clone(); }

  /** A recovery restarted the VM from the line where it had sent {@code sentAtLine}, under a new incarnation. */
  public void rolledBack(int newIncarnation, long[] sentAtLine) {
    this.incarnation = newIncarnation;
    this.rollbackSentCounts = sentAtLine.clone();
  }
  public void remove(Instant when) { removed = when; }
}
