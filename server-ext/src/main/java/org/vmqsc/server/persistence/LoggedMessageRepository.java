package org.vmqsc.server.persistence;

import java.util.List;
import java.util.Optional;
import org.hibernate.Session;

/** Stably logged late messages. */
public final class LoggedMessageRepository {

  private LoggedMessageRepository() {}

  public static Optional<LoggedMessageEntity> find(Session session, long fromMemberId, long toMemberId,
      int incarnation, long seq) {
    return session.createSelectionQuery("from LoggedMessageEntity where fromMemberId = :from and toMemberId = :to"
            + " and incarnation = :incarnation and seq = :seq", LoggedMessageEntity.class)
        .setParameter("from", fromMemberId)
        .setParameter("to", toMemberId)
        .setParameter("incarnation", incarnation)
        .setParameter("seq", seq)
        .uniqueResultOptional();
  }

  /** The group's logged messages not yet collected or discarded, in channel and seq order. */
  public static List<LoggedMessageEntity> live(Session session, long groupId) {
    return session.createSelectionQuery("from LoggedMessageEntity where groupId = :group and removed is null"
            + " order by fromMemberId, toMemberId, seq", LoggedMessageEntity.class)
        .setParameter("group", groupId)
        .getResultList();
  }
}
