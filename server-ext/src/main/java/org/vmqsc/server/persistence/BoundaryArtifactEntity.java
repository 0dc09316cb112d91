package org.vmqsc.server.persistence;

import org.vmqsc.server.service.ArtifactState;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.MappedSuperclass;
import java.time.Instant;

/**
 * What a host reports for one VM at one boundary and stores somewhere: a checkpoint or a stable log segment.
 * Both carry the channel counters of the boundary so the line keeper can be rebuilt from rows alone.
 */
@MappedSuperclass
public abstract class BoundaryArtifactEntity extends CloudStackRow {

  @Column(name = "group_id", nullable = false, updatable = false)
  private long groupId;
  @Column(name = "member_id", nullable = false, updatable = false)
  private long memberId;
  /** The boundary index: the checkpoint's CSN, or the boundary that ended a log segment's interval. */
  @Column(nullable = false, updatable = false)
  private long csn;
  @Column(nullable = false, updatable = false)
  private int incarnation;
  @Enumerated(EnumType.STRING) @Column(nullable = false)
  private ArtifactState state;
  @Column(name = "size_bytes", nullable = false)
  private long sizeBytes;
  @Column(nullable = false)
  private String location;
  @Column(name = "content_digest", nullable = false)
  private String contentDigest;
  @Column(nullable = false, updatable = false)
  private long position;
  @Column(nullable = false, updatable = false)
  private long received;
  @Convert(converter = CountersConverter.class) @Column(name = "sent_counts", nullable = false)
  private long[] sentCounts;
  @Convert(converter = CountersConverter.class) @Column(name = "received_counts", nullable = false)
  private long[] receivedCounts;

  protected BoundaryArtifactEntity() {}

  protected BoundaryArtifactEntity(long groupId, long memberId, long csn, int incarnation, ArtifactState state,
      long sizeBytes, String location, String contentDigest, long position, long received, long[] sentCounts,
      long[] receivedCounts, Instant created) {
    super(created);
    this.groupId = groupId;
    this.memberId = memberId;
    this.csn = csn;
    this.incarnation = incarnation;
    this.state = state;
    this.sizeBytes = sizeBytes;
    this.location = location;
    this.contentDigest = contentDigest;
    this.position = position;
    this.received = received;
    this.sentCounts = sentCounts.clone();
    this.receivedCounts = receivedCounts.clone();
  }

  public long groupId() { return groupId; }
  public long memberId() { return memberId; }
  public long csn() { return csn; }
  public int incarnation() { return incarnation; }
  public ArtifactState state() { return state; }
  public long sizeBytes() { return sizeBytes; }
  public String location() { return location; }
  public String contentDigest() { return contentDigest; }
  public long position() { return position; }
  public long received() { return received; }
  public long[] sentCounts() { return sentCounts.clone(); }
  public long[] receivedCounts() { return receivedCounts.clone(); }

  /** Stable storage may hold the artifact somewhere else than the host's staging area. */
  public void markStable(String stableLocation) {
    state = ArtifactState.STABLE;
    location = stableLocation;
  }

  public void markCollected(Instant when) {
    state = ArtifactState.COLLECTED;
    remove(when);
  }

  /** A recovery rolled the VM back before this artifact: the execution that made it never happened. */
  public void markDiscarded(Instant when) {
    state = ArtifactState.DISCARDED;
    remove(when);
  }
}
