package org.vmqsc.server.catalog;

import org.vmqsc.server.service.ServiceException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.hibernate.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmqsc.server.service.ServiceException.Reason;
import org.vmqsc.server.persistence.CatalogDatabase;
import org.vmqsc.server.persistence.CatalogDatabase.Retry;
import org.vmqsc.server.persistence.GroupMemberEntity;
import org.vmqsc.server.persistence.GroupRepository;
import org.vmqsc.server.persistence.MemberRepository;
import org.vmqsc.server.persistence.ProtectionGroupEntity;

/**
 * One transaction on one group, locked: the group's row is read with {@code SELECT ... FOR UPDATE} (so changes to
 * a group are serialised across all managers), its protocol state is taken from the cache if current or rebuilt
 * from the rows, and given back to the cache only after the commit. See {@link GroupStateCache}.
 */
final class GroupTransactions {

  private static final Logger log = LoggerFactory.getLogger(GroupTransactions.class);

  private final CatalogDatabase database;
  private final GroupStateCache states;

  GroupTransactions(CatalogDatabase database, GroupStateCache states) {
    this.database = database;
    this.states = states;
  }

  /** A group locked for this transaction, with its current protocol state (and the reporting VM, if any). */
  record Locked(ProtectionGroupEntity group, GroupState state, GroupMemberEntity member, boolean versionBumped) {
    Locked(ProtectionGroupEntity group, GroupState state, GroupMemberEntity member) {
      this(group, state, member, false);
    }
  }

  interface GroupChange<T> {
    T apply(Session session, Locked locked);
  }

  /** Runs {@code change} on the group {@code groupUuid}, locked. */
  <T> T onGroup(String groupUuid, GroupChange<T> change) {
    return lockedChange((session, inProcess) -> {
      Long known = states.groupId(groupUuid);
      inProcess.acquire(known != null ? known : groupIdOf(session, groupUuid));
      ProtectionGroupEntity group = lockGroup(session, groupUuid);
      states.rememberGroupId(groupUuid, group.id());
      return new Locked(group, stateOf(session, group), null);
    }, change);
  }

  /**
   * Like {@link #onGroup}, for the most frequent change, a host report. When this manager holds the group's state
   * from its last change, one statement locks the row, checks that nobody changed the group since and bumps its
   * version: {@code UPDATE ... SET state_version = state_version + 1 WHERE id = ? AND state_version = ?}. One row
   * updated: the row is locked, the cached state and group row are current, and the version is already bumped
   * ({@link Locked#versionBumped}, also when the change turns out to change nothing). No row: the usual
   * {@code SELECT ... FOR UPDATE} and rebuild. The group is then detached: a change writes its columns itself.
   */
  <T> T onGroupBumping(String groupUuid, GroupChange<T> change) {
    return lockedChange((session, inProcess) -> {
      Long known = states.groupId(groupUuid);
      if (known != null) {
        inProcess.acquire(known);
        GroupState cached = states.take(known);
        if (cached != null && cached.group != null) {
          int locked = session.createNativeMutationQuery("UPDATE vmqsc_protection_group"
                  + " SET state_version = state_version + 1 WHERE id = :id AND state_version = :version"
                  + " AND removed IS NULL")
              .setParameter("id", known)
              .setParameter("version", cached.version)
              .executeUpdate();
          if (locked == 1) {
            cached.group.bumpStateVersion();
            return new Locked(cached.group, cached, null, true);
          }
        }
      }
      inProcess.acquire(known != null ? known : groupIdOf(session, groupUuid));
      ProtectionGroupEntity group = lockGroup(session, groupUuid);
      states.rememberGroupId(groupUuid, group.id());
      return new Locked(group, stateOf(session, group), null);
    }, change);
  }

  /** Runs {@code change} on the group {@code vmUuid} belongs to, locked, with the VM's member row. */
  <T> T onGroupOfVm(String vmUuid, GroupChange<T> change) {
    return lockedChange((session, inProcess) -> {
      // Lock the group the VM was last seen in, then check the VM is (still) there; if not, look it up.
      Long hint = states.groupHint(vmUuid);
      if (hint != null) {
        inProcess.acquire(hint);
        Optional<ProtectionGroupEntity> group = GroupRepository.lock(session, hint);
        if (group.isPresent()) {
          GroupState state = stateOf(session, group.get());
          Optional<GroupMemberEntity> member = state.members.stream()
              .filter(m -> m.vmUuid().equals(vmUuid)).findFirst();
          if (member.isPresent()) {
            return new Locked(group.get(), state, member.get());
          }
          states.put(state);
        }
        states.forgetGroup(vmUuid);
      }
      long groupId = MemberRepository.groupIdOf(session, vmUuid).orElseThrow(() -> {
        log.warn("refused a report for VM {}: it is in no protection group", vmUuid);
        return unknownVm(vmUuid, "in any group");
      });
      inProcess.acquire(groupId);
      ProtectionGroupEntity group = GroupRepository.lock(session, groupId).orElseThrow(() -> {
        log.warn("refused a report for VM {}: its group was deleted", vmUuid);
        return new ServiceException(Reason.UNKNOWN_GROUP, "VM " + vmUuid + " belongs to no existing group");
      });
      GroupState state = stateOf(session, group);
      GroupMemberEntity member = state.members.stream().filter(m -> m.vmUuid().equals(vmUuid)).findFirst()
          .orElseThrow(() -> unknownVm(vmUuid, "in group " + group.uuid()));
      states.rememberGroup(vmUuid, group.id());
      return new Locked(group, state, member);
    }, change);
  }

  /** The in-process group locks one transaction holds; all are released when the change is over. */
  private final class InProcessLocks {
    private final List<ReentrantLock> held = new ArrayList<>();

    void acquire(long groupId) {
      // One group per transaction: never wait for a second in-process lock while holding one (no deadlock);
      // the row lock alone keeps the change safe, this lock only keeps the cache warm.
      if (!held.isEmpty()) return;
      ReentrantLock lock = states.lockFor(groupId);
      lock.lock();
      held.add(lock);
    }

    void releaseAll() {
      for (int i = held.size() - 1; i >= 0; i--) held.get(i).unlock();
      held.clear();
    }
  }

  private interface LockStep {
    Locked lock(Session session, InProcessLocks inProcess);
  }

  /**
   * Runs {@code change} in one transaction on a locked group, then hands the group's state back to the cache,
   * only once the commit succeeded (a failed transaction drops the state it may have half-updated).
   */
  private <T> T lockedChange(LockStep lock, GroupChange<T> change) {
    GroupState[] used = new GroupState[1];
    long[] version = new long[1];
    InProcessLocks inProcess = new InProcessLocks();
    try {
      T result = database.inTransaction(Retry.IDEMPOTENT, session -> {
        used[0] = null;
        inProcess.releaseAll(); // a retry starts over
        Locked locked = lock.lock(session, inProcess);
        used[0] = locked.state();
        T value = change.apply(session, locked);
        version[0] = locked.group().stateVersion();
        locked.state().group = locked.group();
        return value;
      });
      if (used[0] != null && !used[0].stale) {
        used[0].version = version[0];
        states.put(used[0]);
      }
      return result;
    } finally {
      inProcess.releaseAll();
    }
  }

  private GroupState stateOf(Session session, ProtectionGroupEntity group) {
    GroupState cached = states.take(group.id(), group.stateVersion());
    return cached != null ? cached : GroupState.rebuild(session, group, MemberRepository.ofGroup(session, group.id()));
  }

  static ProtectionGroupEntity lockGroup(Session session, String groupUuid) {
    return GroupRepository.lock(session, groupUuid).orElseThrow(() -> unknownGroup(groupUuid));
  }

  /** The group's id, found without loading the group, which is then loaded only by its lock. */
  static long groupIdOf(Session session, String groupUuid) {
    return GroupRepository.idOf(session, groupUuid).orElseThrow(() -> unknownGroup(groupUuid));
  }

  static ProtectionGroupEntity findGroup(Session session, String groupUuid) {
    return GroupRepository.find(session, groupUuid).orElseThrow(() -> unknownGroup(groupUuid));
  }

  static ServiceException unknownGroup(String groupUuid) {
    log.warn("refused a request for unknown protection group {}", groupUuid);
    return new ServiceException(Reason.UNKNOWN_GROUP, "no protection group " + groupUuid);
  }

  static ServiceException unknownVm(String vmUuid, String where) {
    return new ServiceException(Reason.UNKNOWN_VM, "no VM " + vmUuid + " " + where);
  }
}
