package org.vmqsc.server.persistence;

import org.vmqsc.server.service.Page;
import org.vmqsc.server.service.PageRequest;
import jakarta.persistence.LockModeType;
import java.util.Map;
import java.util.Optional;
import org.hibernate.Session;
import org.hibernate.query.SelectionQuery;

/** Protection groups. Only groups that are not removed are ever returned. */
public final class GroupRepository {

  private GroupRepository() {}

  public static Optional<ProtectionGroupEntity> find(Session session, String groupUuid) {
    return byUuid(session, groupUuid).uniqueResultOptional();
  }

  /**
   * The group's id, without loading the group: for finding a group before locking it. (A group loaded before
   * {@link #lock} would stay in the session as it was read then, not as locked: Hibernate hands back the entity it
   * already holds.)
   */
  public static Optional<Long> idOf(Session session, String groupUuid) {
    return session.createSelectionQuery(
            "select id from ProtectionGroupEntity where uuid = :uuid and removed is null", Long.class)
        .setParameter("uuid", groupUuid)
        .uniqueResultOptional();
  }

  /**
   * Reads the group with {@code SELECT ... FOR UPDATE}: every change to a group's protocol state takes this lock
   * first, so changes to one group are serialised across all management servers sharing the database. It must be
   * the transaction's first load of the group (see {@link #idOf}).
   */
  public static Optional<ProtectionGroupEntity> lock(Session session, String groupUuid) {
    return byUuid(session, groupUuid).setLockMode(LockModeType.PESSIMISTIC_WRITE).uniqueResultOptional();
  }

  public static Optional<ProtectionGroupEntity> lock(Session session, long groupId) {
    return session.createSelectionQuery(
            "from ProtectionGroupEntity where id = :id and removed is null", ProtectionGroupEntity.class)
        .setParameter("id", groupId)
        .setLockMode(LockModeType.PESSIMISTIC_WRITE)
        .uniqueResultOptional();
  }

  /**
   * Locks the group's row even if the group was deleted: for changes to what a group leaves behind (finishing a
   * recovery that was running when the group was deleted).
   */
  public static Optional<ProtectionGroupEntity> lockIncludingRemoved(Session session, long groupId) {
    return session.createSelectionQuery("from ProtectionGroupEntity where id = :id", ProtectionGroupEntity.class)
        .setParameter("id", groupId)
        .setLockMode(LockModeType.PESSIMISTIC_WRITE)
        .uniqueResultOptional();
  }

  private static SelectionQuery<ProtectionGroupEntity> byUuid(Session session, String groupUuid) {
    return session.createSelectionQuery(
            "from ProtectionGroupEntity where uuid = :uuid and removed is null", ProtectionGroupEntity.class)
        .setParameter("uuid", groupUuid);
  }

  public static Page<ProtectionGroupEntity> page(Session session, PageRequest page) {
    return Listing.page(session, ProtectionGroupEntity.class, "removed is null", Map.of(), "id", page);
  }
}
