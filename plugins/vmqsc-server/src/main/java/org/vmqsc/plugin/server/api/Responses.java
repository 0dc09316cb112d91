package org.vmqsc.plugin.server.api;

import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.vmqsc.plugin.server.api.response.LogSegmentResponse;
import org.vmqsc.plugin.server.api.response.ProtectionGroupResponse;
import org.vmqsc.plugin.server.api.response.ProtectionGroupVmResponse;
import org.vmqsc.plugin.server.api.response.RecoveryEventResponse;
import org.vmqsc.plugin.server.api.response.RecoveryLineResponse;
import org.vmqsc.plugin.server.api.response.VmCheckpointResponse;
import org.vmqsc.plugin.server.api.response.VmClassAdviceResponse;
import org.vmqsc.server.service.Views.CheckpointView;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.LineView;
import org.vmqsc.server.service.Views.LogSegmentView;
import org.vmqsc.server.service.Views.MemberView;
import org.vmqsc.server.service.Views.RecoveryEventView;
import org.vmqsc.server.service.advice.TrafficAdvisor.VmClassAdvice;
import org.vmqsc.server.service.advice.VmTraffic;

/** The service's views as CloudStack response objects, with the standalone manager's field names and values. */
final class Responses {

  private Responses() {}

  static ProtectionGroupResponse group(GroupView g, List<MemberView> members) {
    return new ProtectionGroupResponse(g.uuid(), g.name(), g.basePeriodMs(), g.recoveryPolicy().name(), g.lineIndex(),
        date(g.created()), g.startedMs() == null ? "Disabled" : "Enabled",
        g.startedMs() == null ? null : new Date(g.startedMs()), members.stream().map(Responses::member).toList());
  }

  static ProtectionGroupVmResponse member(MemberView m) {
    return new ProtectionGroupVmResponse(m.uuid(), m.vmUuid(), m.number(), m.vmClass(), m.hostUuid(),
        m.incarnation(), date(m.created()));
  }

  static VmCheckpointResponse checkpoint(CheckpointView c) {
    return new VmCheckpointResponse(c.uuid(), c.vmUuid(), c.index(), c.incarnation(), c.forced(), c.hostUuid(),
        c.state().name(), c.sizeBytes(), c.location(), c.contentDigest(), date(c.created()));
  }

  static VmClassAdviceResponse vmClassAdvice(VmClassAdvice a) {
    VmTraffic t = a.traffic();
    Double perPeriod = a.receivedBytesPerPeriod();
    return new VmClassAdviceResponse(a.vmUuid(), a.vmClass(), a.proposedClass(), a.reason(),
        t == null ? null : t.periods(), t == null ? null : t.messagesReceived(), t == null ? null : t.checkpointBytes(),
        t == null ? null : t.loggedBytes(), t == null ? null : t.loggedMessages(),
        perPeriod == null ? null : Math.round(perPeriod));
  }

  static LogSegmentResponse logSegment(LogSegmentView s) {
    return new LogSegmentResponse(s.uuid(), s.vmUuid(), s.firstIndex(), s.index(), s.incarnation(), s.state().name(),
        s.sizeBytes(), s.location(), s.contentDigest(), date(s.created()));
  }

  static RecoveryLineResponse line(LineView l) {
    return new RecoveryLineResponse(l.groupUuid(), l.index(), date(l.created()), l.entries().stream()
        .map(e -> new RecoveryLineResponse.Entry(e.vmUuid(), e.checkpointIndex(), e.checkpointUuid())).toList());
  }

  static RecoveryEventResponse recoveryEvent(RecoveryEventView e) {
    return new RecoveryEventResponse(e.uuid(), e.groupUuid(), e.failureKind().name(), e.failedRef(), e.lineIndex(),
        List.copyOf(e.rolledBack()), e.replayedMessages(), e.state().name(), e.outcome(), e.owner(),
        date(e.started()), date(e.finished()), e.durationMs());
  }

  /** CloudStack writes dates to the second. */
  private static Date date(Instant when) {
    return when == null ? null : new Date(when.getEpochSecond() * 1000);
  }
}
