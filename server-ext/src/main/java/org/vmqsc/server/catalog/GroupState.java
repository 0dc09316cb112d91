package org.vmqsc.server.catalog;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hibernate.Session;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.GroupConfig;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.protocol.manager.LineKeeper;
import org.vmqsc.server.persistence.ArtifactRepository;
import org.vmqsc.server.service.ArtifactState;
import org.vmqsc.server.persistence.BoundaryArtifactEntity;
import org.vmqsc.server.persistence.CheckpointEntity;
import org.vmqsc.server.persistence.GroupMemberEntity;
import org.vmqsc.server.persistence.LogSegmentEntity;
import org.vmqsc.server.persistence.LoggedMessageEntity;
import org.vmqsc.server.persistence.LoggedMessageRepository;
import org.vmqsc.server.persistence.ProtectionGroupEntity;

/**
 * One group's protocol state in memory: the protocol's {@link LineKeeper} fed with the group's live rows, the
 * group's VM numbering, and which row holds each record. The rows are the truth; this is derived from them and
 * can be rebuilt at any time ({@link #rebuild}).
 *
 * <p>Incarnations are checked by the catalog against the member rows, so the keeper here always sees the live
 * rows as one incarnation (0): after a rollback the rows of the discarded execution are marked DISCARDED and the
 * keeper is rebuilt without them, which is what {@code LineKeeper.rollback} would have left in memory.
 */
final class GroupState {

  private static final int KEEPER_INCARNATION = 0;

  final long groupId;
  /** The group row's state_version this state matches. */
  long version;
  /** Set when a change made the in-memory state wrong (a rollback): it is dropped instead of cached. */
  boolean stale;
  /** The group row as the last transaction left it (detached): lets a report skip reading it again. */
  ProtectionGroupEntity group;
  final List<GroupMemberEntity> members;
  final GroupConfig config;
  final LineKeeper keeper;
  private final Map<Long, Integer> numberOfMember = new HashMap<>();
  private final Map<String, Integer> numberOfVm = new HashMap<>();
  /** Per VM number: CSN -> the live checkpoint row, and the live log segment row. */
  private final List<Map<Long, RowRef>> checkpointRows = new ArrayList<>();
  private final List<Map<Long, RowRef>> segmentRows = new ArrayList<>();

  /**
   * Enough of a live row to name it and to answer a repeated report without loading it: whether it is stable,
   * and its content (see {@link Fingerprint}). {@code id} is null while the row is written in the current batch
   * and not yet inserted.
   */
  record RowRef(Long id, String uuid, boolean stable, Fingerprint fingerprint) {}

  /**
   * What must be equal for two reports of one VM at one index to be the same report, besides the message
   * counters: those the keeper's record holds, and {@link #sameContent} compares them element by element (two
   * different counter arrays may share a hash code, {0, 31} and {1, 0} do, so no hash stands in for them).
   */
  record Fingerprint(boolean forced, long sizeBytes, String contentDigest, long position, long received) {}

  /** Whether a report with {@code fingerprint} and these counters is the one recorded as {@code known}. */
  boolean sameContent(int vm, long csn, RowRef known, Fingerprint fingerprint, long[] sent, long[] received) {
    if (!fingerprint.equals(known.fingerprint())) return false;
    BoundaryRecord recorded = keeper.recordAt(vm, csn);
    return Arrays.equals(sent, recorded.sentTo()) && Arrays.equals(received, recorded.receivedFrom());
  }

  private GroupState(long groupId, long version, List<GroupMemberEntity> members, GroupConfig config) {
    this.groupId = groupId;
    this.version = version;
    this.members = List.copyOf(members);
    this.config = config;
    this.keeper = config == null ? null : new LineKeeper(config);
    for (int vm = 0; vm < members.size(); vm++) {
      numberOfMember.put(members.get(vm).id(), vm);
      numberOfVm.put(members.get(vm).vmUuid(), vm);
      checkpointRows.add(new HashMap<>());
      segmentRows.add(new HashMap<>());
    }
  }

  /** Builds the state from the group's live rows, as any manager sharing the database would. */
  static GroupState rebuild(Session session, ProtectionGroupEntity group, List<GroupMemberEntity> members) {
    GroupConfig config = members.isEmpty() ? null : new GroupConfig(group.basePeriodMs(),
        members.stream().map(m -> VmClass.parse(m.vmClass())).toList(), group.earlyIndexPolicy());
    GroupState state = new GroupState(group.id(), group.stateVersion(), members, config);
    if (config == null) {
      return state;
    }
    List<BoundaryArtifactEntity> rows = new ArrayList<>();
    rows.addAll(ArtifactRepository.live(session, CheckpointEntity.class, group.id()));
    rows.addAll(ArtifactRepository.live(session, LogSegmentEntity.class, group.id()));
    rows.sort((a, b) -> Long.compare(a.csn(), b.csn()));
    for (BoundaryArtifactEntity row : rows) {
      state.add(row);
    }
    for (LoggedMessageEntity m : LoggedMessageRepository.live(session, group.id())) {
      state.addLoggedMessage(m);
    }
    state.keeper.advance();
    return state;
  }

  boolean isEmpty() {
    return keeper == null;
  }

  int numberOf(long memberId) {
    Integer vm = numberOfMember.get(memberId);
    if (vm == null) throw new IllegalStateException("member " + memberId + " is not in group " + groupId);
    return vm;
  }

  /** The VM's number in the group, or -1 when it is not a live member. */
  int numberOfVm(String vmUuid) {
    Integer vm = numberOfVm.get(vmUuid);
    return vm == null ? -1 : vm;
  }

  GroupMemberEntity member(int vm) {
    return members.get(vm);
  }

  /** Feeds a row (newly inserted or loaded) to the keeper and remembers which row it is. */
  void add(BoundaryArtifactEntity row) {
    add(row, row.sentCounts(), row.receivedCounts());
  }

  /** The same, with the row's counters at hand, so a report's row costs no further copies of its counters. */
  void add(BoundaryArtifactEntity row, long[] sent, long[] received) {
    int vm = numberOf(row.memberId());
    keeper.record(toRecord(row, vm, sent, received));
    if (row.state() == ArtifactState.STABLE) {
      keeper.markStable(vm, row.csn(), KEEPER_INCARNATION);
    }
    boolean forced = row instanceof CheckpointEntity c && c.forced();
    (row instanceof CheckpointEntity ? checkpointRows : segmentRows).get(vm).put(row.csn(),
        new RowRef(row.id(), row.uuid(), row.state() == ArtifactState.STABLE, new Fingerprint(forced,
            row.sizeBytes(), row.contentDigest(), row.position(), row.received())));
  }

  /** A row added in this batch was inserted and got its id. */
  void resolve(int vm, long csn, boolean checkpoint, long id) {
    Map<Long, RowRef> rows = (checkpoint ? checkpointRows : segmentRows).get(vm);
    RowRef ref = rows.get(csn);
    rows.put(csn, new RowRef(id, ref.uuid(), ref.stable(), ref.fingerprint()));
  }

  /** The row of {@code vm}'s checkpoint (or segment) at {@code csn} reached stable storage. */
  void markStable(int vm, long csn, boolean checkpoint) {
    Map<Long, RowRef> rows = (checkpoint ? checkpointRows : segmentRows).get(vm);
    RowRef ref = rows.get(csn);
    rows.put(csn, new RowRef(ref.id(), ref.uuid(), true, ref.fingerprint()));
    keeper.markStable(vm, csn, KEEPER_INCARNATION);
  }

  /** The live row of a VM's checkpoint or segment at {@code csn}, or null. */
  RowRef row(int vm, long csn, boolean checkpoint) {
    return (checkpoint ? checkpointRows : segmentRows).get(vm).get(csn);
  }

  void addLoggedMessage(LoggedMessageEntity m) {
    keeper.markInTransitLogged(toMessage(m));
  }

  Message toMessage(LoggedMessageEntity m) {
    return new Message(numberOf(m.fromMemberId()), numberOf(m.toMemberId()), m.seq(), m.csn(), KEEPER_INCARNATION,
        m.sizeBytes(), m.digest());
  }

  RowRef checkpointRow(int vm, long csn) {
    return checkpointRows.get(vm).get(csn);
  }

  RowRef segmentRow(int vm, long csn) {
    return segmentRows.get(vm).get(csn);
  }

  /** Forgets the row maps of what the keeper just collected. */
  void forgetCollected(int vm, long csn, boolean checkpoint) {
    (checkpoint ? checkpointRows : segmentRows).get(vm).remove(csn);
  }

  private static BoundaryRecord toRecord(BoundaryArtifactEntity row, int vm, long[] sent, long[] received) {
    boolean checkpoint = row instanceof CheckpointEntity;
    return new BoundaryRecord(vm, row.csn(), KEEPER_INCARNATION,
        checkpoint ? BoundaryKind.CHECKPOINT : BoundaryKind.LOG_SEGMENT,
        checkpoint && ((CheckpointEntity) row).forced(), row.position(), row.received(), sent, received);
  }
}
