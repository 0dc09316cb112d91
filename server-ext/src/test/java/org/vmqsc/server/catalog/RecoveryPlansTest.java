package org.vmqsc.server.catalog;

import static org.junit.Assert.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.Test;
import org.vmqsc.protocol.Message;
import org.vmqsc.protocol.recovery.RecoveryPlan;
import org.vmqsc.server.service.Views.HostFailurePlan;
import org.vmqsc.server.service.Views.MemberView;

public class RecoveryPlansTest {

  /** A resumed recovery reads its plan back: the late messages' stable locations, keyed by message, included. */
  @Test public void aPlanWithLateMessagesReadsBackEqual() {
    Message late = new Message(0, 1, 3, 1, 0, 16, -65596788L);
    Message other = new Message(2, 1, 1, 2, 0, 16, 42L);
    RecoveryPlan plan = new RecoveryPlan(4, new TreeSet<>(List.of(1)), new TreeSet<>(List.of(1)), List.of());
    HostFailurePlan stored = new HostFailurePlan("g", "h2",
        List.of(new MemberView("m", "vm", 1, "SI", "h2", 0, Instant.parse("2026-11-29T21:09:17.902Z"))), plan,
        List.of("vm"), List.of(), Map.of(late, "g/transit-from0-to1-seq3.log", other, "g/transit-from2-to1-seq1.log"));
    assertEquals(stored, RecoveryPlans.fromJson(RecoveryPlans.toJson(stored)));
  }
}
