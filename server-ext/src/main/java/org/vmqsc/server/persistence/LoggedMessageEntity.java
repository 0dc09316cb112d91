package org.vmqsc.server.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A row of {@code vmqsc_logged_message}: a late message the receiver's host wrote to stable storage, with where
 * the receiver got it (rsn, position, receiverIndex), so a recovery can replay it in its original order.
 */
@Entity
@Table(name = "vmqsc_logged_message")
public class LoggedMessageEntity extends CloudStackRow {

  @Column(name = "group_id", nullable = false, updatable = false)
  private long groupId;
  @Column(name = "from_member_id", nullable = false, updatable = false)
  private long fromMemberId;
  @Column(name = "to_member_id", nullable = false, updatable = false)
  private long toMemberId;
  @Column(nullable = false, updatable = false)
  private long seq;
  @Column(nullable = false, updatable = false)
  private long csn;
  @Column(nullable = false, updatable = false)
  private int incarnation;
  @Column(name = "size_bytes", nullable = false, updatable = false)
  private int sizeBytes;
  @Column(nullable = false, updatable = false)
  private long digest;
  @Column(nullable = false, updatable = false)
  private long rsn;
  @Column(nullable = false, updatable = false)
  private long position;
  @Column(name = "receiver_index", nullable = false, updatable = false)
  private long receiverIndex;
  @Column(name = "receiver_incarnation", nullable = false, updatable = false)
  private int receiverIncarnation;
  @Column(nullable = false, updatable = false)
  private String location;
  @Column(name = "sender_received", nullable = false, updatable = false)
  private long senderReceived;

  protected LoggedMessageEntity() {}

  public LoggedMessageEntity(long groupId, long fromMemberId, long toMemberId, long seq, long csn, int incarnation,
      int sizeBytes, long digest, long rsn, long position, long receiverIndex, int receiverIncarnation, String location,
      long senderReceived, Instant created) {
    super(created);
    this.groupId = groupId;
    this.fromMemberId = fromMemberId;
    this.toMemberId = toMemberId;
    this.seq = seq;
    this.csn = csn;
    this.incarnation = incarnation;
    this.sizeBytes = sizeBytes;
    this.digest = digest;
    this.rsn = rsn;
    this.position = position;
    this.receiverIndex = receiverIndex;
    this.receiverIncarnation = receiverIncarnation;
    this.location = location;
    this.senderReceived = senderReceived;
  }

  public long groupId() { return groupId; }
  public long fromMemberId() { return fromMemberId; }
  public long toMemberId() { return toMemberId; }
  public long seq() { return seq; }
  public long csn() { return csn; }
  /** How many messages the sender had received when it sent it (causal logging; 0 where not practised). */
  public long senderReceived() { return senderReceived; }
  public int incarnation() { return incarnation; }
  public int sizeBytes() { return sizeBytes; }
  public long digest() { return digest; }
  public long rsn() { return rsn; }
  public long position() { return position; }
  public long receiverIndex() { return receiverIndex; }
  public int receiverIncarnation() { return receiverIncarnation; }
  public String location() { return location; }
}
