package org.vmqsc.server.persistence;

import org.vmqsc.server.service.ArtifactState;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.time.Instant;

/** A row of {@code vmqsc_checkpoint}: one VM's checkpoint with CSN {@link #csn()}. */
@Entity
@Table(name = "vmqsc_checkpoint")
public class CheckpointEntity extends BoundaryArtifactEntity {

  /** Taken early because a message from a later interval arrived (the quasi-synchronous rule). */
  @Column(nullable = false, updatable = false)
  private boolean forced;

  /** The host whose report recorded it: the one that took it (null for rows from before this column). */
  @Column(name = "host_uuid", updatable = false)
  private String hostUuid;

  protected CheckpointEntity() {}

  public CheckpointEntity(long groupId, long memberId, long csn, int incarnation, boolean forced, String hostUuid,
      ArtifactState state, long sizeBytes, String location, String contentDigest,
      long position, long received, long[] sentCounts, long[] receivedCounts, Instant created) {
    super(groupId, memberId, csn, incarnation, state, sizeBytes, location, contentDigest, position,
        received, sentCounts, receivedCounts, created);
    this.forced = forced;
    this.hostUuid = hostUuid;
  }

  public boolean forced() { return forced; }
  public String hostUuid() { return hostUuid; }
}
