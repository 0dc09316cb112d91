package org.vmqsc.server.persistence;

import org.vmqsc.server.service.Page;
import org.vmqsc.server.service.PageRequest;
import org.vmqsc.server.service.RecoveryState;
import java.util.Map;
import java.util.Optional;
import org.hibernate.Session;

/** Recovery events. */
public final class RecoveryEventRepository {

  private RecoveryEventRepository() {}

  public static Optional<RecoveryEventEntity> find(Session session, String eventUuid) {
    return session.createSelectionQuery("from RecoveryEventEntity where uuid = :uuid", RecoveryEventEntity.class)
        .setParameter("uuid", eventUuid)
        .uniqueResultOptional();
  }

  /** The recovery of this failure that some manager is running now, if any. */
  public static Optional<RecoveryEventEntity> running(Session session, long groupId, String failedRef) {
    return session.createSelectionQuery(
            "from RecoveryEventEntity where groupId = :group and failedRef = :failed and state = :running",
            RecoveryEventEntity.class)
        .setParameter("group", groupId)
        .setParameter("failed", failedRef)
        .setParameter("running", RecoveryState.RUNNING)
        .uniqueResultOptional();
  }

  /** Recoveries some manager claimed and has not finished, in groups not deleted, oldest first. */
  public static java.util.List<RecoveryEventEntity> runningInLiveGroups(Session session) {
    return session.createSelectionQuery("from RecoveryEventEntity e where e.state = :running and exists"
            + " (from ProtectionGroupEntity g where g.id = e.groupId and g.removed is null) order by e.id",
            RecoveryEventEntity.class)
        .setParameter("running", RecoveryState.RUNNING)
        .getResultList();
  }

  public static Page<RecoveryEventEntity> page(Session session, long groupId, PageRequest page) {
    return Listing.page(session, RecoveryEventEntity.class, "groupId = :group", Map.of("group", groupId),
        "id desc", page);
  }
}
