package org.vmqsc.server.catalog;

import java.util.List;
import org.vmqsc.server.persistence.CheckpointEntity;
import org.vmqsc.server.persistence.GroupMemberEntity;
import org.vmqsc.server.persistence.LogSegmentEntity;
import org.vmqsc.server.persistence.ProtectionGroupEntity;
import org.vmqsc.server.persistence.RecoveryEventEntity;
import org.vmqsc.server.service.Views.CheckpointView;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.LogSegmentView;
import org.vmqsc.server.service.Views.MemberView;
import org.vmqsc.server.service.Views.RecoveryEventView;

/** Rows to views: the one place where the catalog's entities turn into the service's plain values. */
final class ViewsOf {

  private ViewsOf() {}

  static GroupView group(ProtectionGroupEntity g) {
    return new GroupView(g.uuid(), g.name(), g.basePeriodMs(), g.recoveryPolicy(), g.lineIndex(), g.created(),
        g.startedMs());
  }

  static MemberView member(GroupMemberEntity m, int number) {
    return new MemberView(m.uuid(), m.vmUuid(), number, m.vmClass(), m.hostUuid(), m.incarnation(), m.created());
  }

  static CheckpointView checkpoint(CheckpointEntity c, String vmUuid) {
    return new CheckpointView(c.uuid(), vmUuid, c.csn(), c.incarnation(), c.forced(), c.state(), c.sizeBytes(),
        c.location(), c.contentDigest(), c.created(), c.received(), c.hostUuid());
  }

  static LogSegmentView logSegment(LogSegmentEntity s, String vmUuid) {
    return new LogSegmentView(s.uuid(), vmUuid, s.firstCsn(), s.csn(), s.incarnation(), s.state(),
        s.sizeBytes(), s.location(), s.contentDigest(), s.created(), s.received());
  }

  static RecoveryEventView recoveryEvent(RecoveryEventEntity e, String groupUuid) {
    return new RecoveryEventView(e.uuid(), groupUuid, e.failureKind(), e.failedRef(), e.lineIndex(),
        e.rolledBack().isEmpty() ? List.of() : List.of(e.rolledBack().split(",")), e.replayedMessages(),
        e.state(), e.outcome(), e.owner(), e.started(), e.finished(), e.durationMs());
  }
}
