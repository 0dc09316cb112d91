package org.vmqsc.server.persistence;

import org.vmqsc.server.service.ArtifactState;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A row of {@code vmqsc_log_segment}: what an MI VM received between boundaries {@link #firstCsn()} and
 * {@link #csn()}, written to stable storage because the VM was not due for a checkpoint at {@code csn}.
 */
@Entity
@Table(name = "vmqsc_log_segment")
public class LogSegmentEntity extends BoundaryArtifactEntity {

  @Column(name = "first_csn", nullable = false, updatable = false)
  private long firstCsn;

  protected LogSegmentEntity() {}

  public LogSegmentEntity(long groupId, long memberId, long firstCsn, long csn, int incarnation,
      ArtifactState state, long sizeBytes, String location, String contentDigest,
      long position, long received, long[] sentCounts, long[] receivedCounts, Instant created) {
    super(groupId, memberId, csn, incarnation, state, sizeBytes, location, contentDigest, position,
        received, sentCounts, receivedCounts, created);
    this.firstCsn = firstCsn;
  }

  public long firstCsn() { return firstCsn; }
}
