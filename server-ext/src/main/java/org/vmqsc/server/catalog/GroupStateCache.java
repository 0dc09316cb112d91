package org.vmqsc.server.catalog;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps each group's {@link GroupState} between transactions so a report does not reload the group's rows.
 *
 * <p>A state is used only by the transaction that holds the group's row lock, and only if its version equals
 * the group row's {@code state_version} read under that lock; any other manager's change bumps the version, so a
 * stale state is never used, only rebuilt. A transaction <em>takes</em> the state out of the cache and puts it back
 * only after its commit: if the transaction fails half way, the half-updated state is simply dropped.
 *
 * <p>Threads of this manager working on one group also queue on an in-process lock ({@link #lockFor}), taken
 * before the row lock and released after the state is back in the cache. Without it, the next thread would get
 * the row lock in the instant between the commit and the hand-back, find no state and rebuild it from the rows.
 */
final class GroupStateCache {

  private final ConcurrentHashMap<Long, GroupState> states = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Long, ReentrantLock> locks = new ConcurrentHashMap<>();
  /** Which group a VM was last seen in: a hint that saves a query, always checked under the group's lock. */
  private final ConcurrentHashMap<String, Long> groupOfVm = new ConcurrentHashMap<>();

  /** Group uuid -> id: ids never change, so a known one saves the query that finds the group before locking it. */
  private final ConcurrentHashMap<String, Long> groupIds = new ConcurrentHashMap<>();

  Long groupId(String groupUuid) {
    return groupIds.get(groupUuid);
  }

  void rememberGroupId(String groupUuid, long groupId) {
    groupIds.put(groupUuid, groupId);
  }

  ReentrantLock lockFor(long groupId) {
    return locks.computeIfAbsent(groupId, id -> new ReentrantLock());
  }

  Long groupHint(String vmUuid) {
    return groupOfVm.get(vmUuid);
  }

  void rememberGroup(String vmUuid, long groupId) {
    groupOfVm.put(vmUuid, groupId);
  }

  void forgetGroup(String vmUuid) {
    groupOfVm.remove(vmUuid);
  }

  /** The cached state of the group if it matches {@code version}; the cache no longer holds it either way. */
  GroupState take(long groupId, long version) {
    GroupState state = states.remove(groupId);
    return state != null && state.version == version ? state : null;
  }

  /** The cached state of the group whatever its version; the cache no longer holds it. */
  GroupState take(long groupId) {
    return states.remove(groupId);
  }

  /** After a commit: the state is current at its {@code version}. */
  void put(GroupState state) {
    states.merge(state.groupId, state, (old, now) -> now.version >= old.version ? now : old);
  }

  void clear() {
    states.clear();
  }
}
