package org.vmqsc.server.persistence;

import org.vmqsc.server.service.Page;
import org.vmqsc.server.service.PageRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hibernate.Session;

/** Recovery lines and their entries. */
public final class LineRepository {

  private LineRepository() {}

  /** The group's current line: the one not superseded by a newer one. */
  public static Optional<RecoveryLineEntity> current(Session session, long groupId) {
    return session.createSelectionQuery(
            "from RecoveryLineEntity where groupId = :group and removed is null order by lineIndex desc",
            RecoveryLineEntity.class)
        .setParameter("group", groupId)
        .setMaxResults(1)
        .uniqueResultOptional();
  }

  public static List<RecoveryLineEntryEntity> entries(Session session, long lineId) {
    return session.createSelectionQuery(
            "from RecoveryLineEntryEntity where lineId = :line order by memberId", RecoveryLineEntryEntity.class)
        .setParameter("line", lineId)
        .getResultList();
  }

  public static Page<RecoveryLineEntity> page(Session session, long groupId, PageRequest page) {
    return Listing.page(session, RecoveryLineEntity.class, "groupId = :group", Map.of("group", groupId),
        "lineIndex desc", page);
  }
}
