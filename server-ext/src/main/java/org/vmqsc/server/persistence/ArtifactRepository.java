package org.vmqsc.server.persistence;

import org.vmqsc.server.service.Page;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.ArtifactState;
import java.util.List;
import java.util.Map;
import org.hibernate.Session;

/** Checkpoints and stable log segments: the same questions asked of both tables. */
public final class ArtifactRepository {

  private ArtifactRepository() {}

  /** A VM's live artifacts after {@code csn}: what a rollback to a line at {@code csn} discards. */
  public static <T extends BoundaryArtifactEntity> List<T> liveAfter(Session session, Class<T> type, long memberId,
      long csn) {
    return session.createSelectionQuery("from " + type.getSimpleName()
            + " where memberId = :member and csn > :csn and removed is null", type)
        .setParameter("member", memberId)
        .setParameter("csn", csn)
        .getResultList();
  }

  /** Everything of the group not yet collected, oldest first: what a line keeper is rebuilt from. */
  public static <T extends BoundaryArtifactEntity> List<T> live(Session session, Class<T> type, long groupId) {
    return session.createSelectionQuery("from " + type.getSimpleName()
            + " where groupId = :group and state in (:staged, :stable) order by csn, id", type)
        .setParameter("group", groupId)
        // Two parameters, not a list: a list parameter makes Hibernate translate the query again every time.
        .setParameter("staged", ArtifactState.STAGED)
        .setParameter("stable", ArtifactState.STABLE)
        .getResultList();
  }

  public static <T extends BoundaryArtifactEntity> Page<T> page(Session session, Class<T> type, long groupId,
      boolean includeRemoved, PageRequest page) {
    return Listing.page(session, type,
        includeRemoved ? "groupId = :group" : "groupId = :group and removed is null",
        Map.of("group", groupId), "csn desc, id desc", page);
  }
}
