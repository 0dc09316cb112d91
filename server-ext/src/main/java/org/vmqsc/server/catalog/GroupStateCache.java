package org.vmqsc.server.catalog;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps each group's {@link GroupState} between transactions so a report does not reload the group's rows.
 *
 * <p>A state is used only by the transaction that holds the group's row lock, and only if its version equals
 * the group row's {@code state_version} read under that lock; any other manager's change bumps the version, so a
 * stale state is never used, only rebuilt. A transaction <em>takes</em> the state out of the cache and puts it back
 * only after its commit: if the transaction fails half way, the half-updated state is simply dropped.
 */
final class GroupStateCache {

  private final ConcurrentHashMap<Long, GroupState> states = new ConcurrentHashMap<>();

  /** The cached state of the group if it matches {@code version}; the cache no longer holds it either way. */
  GroupState take(long groupId, long version) {
    GroupState state = states.remove(groupId);
    return state != null && state.version == version ? state : null;
  }

  /** After a commit: the state is current at its {@code version}. */
  void put(GroupState state) {
    states.merge(state.groupId, state, (old, now) -> now.version >= old.version ? now : old);
  }

  void clear() {
    states.clear();
  }
}
