package org.vmqsc.server.persistence;

import org.vmqsc.server.service.Page;
import org.vmqsc.server.service.PageRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hibernate.Session;

/** The VMs of groups. Only active (not removed) members are returned. */
public final class MemberRepository {

  private MemberRepository() {}

  /** The group's VMs in the order that numbers them 0..n-1 for the protocol (by member id). */
  public static List<GroupMemberEntity> ofGroup(Session session, long groupId) {
    return session.createSelectionQuery(
            "from GroupMemberEntity where groupId = :group and removed is null order by id", GroupMemberEntity.class)
        .setParameter("group", groupId)
        .getResultList();
  }

  /** A VM is an active member of at most one group (a unique key on the table enforces it). */
  public static Optional<GroupMemberEntity> byVm(Session session, String vmUuid) {
    return session.createSelectionQuery(
            "from GroupMemberEntity where vmUuid = :vm and removed is null", GroupMemberEntity.class)
        .setParameter("vm", vmUuid)
        .uniqueResultOptional();
  }

  /** The id of the group the VM is an active member of, without loading the member (see GroupRepository.idOf). */
  public static Optional<Long> groupIdOf(Session session, String vmUuid) {
    return session.createSelectionQuery(
            "select groupId from GroupMemberEntity where vmUuid = :vm and removed is null", Long.class)
        .setParameter("vm", vmUuid)
        .uniqueResultOptional();
  }

  public static List<GroupMemberEntity> onHost(Session session, String hostUuid) {
    return session.createSelectionQuery(
            "from GroupMemberEntity where hostUuid = :host and removed is null order by groupId, id",
            GroupMemberEntity.class)
        .setParameter("host", hostUuid)
        .getResultList();
  }

  public static Page<GroupMemberEntity> page(Session session, long groupId, PageRequest page) {
    return Listing.page(session, GroupMemberEntity.class, "groupId = :group and removed is null",
        Map.of("group", groupId), "id", page);
  }
}
