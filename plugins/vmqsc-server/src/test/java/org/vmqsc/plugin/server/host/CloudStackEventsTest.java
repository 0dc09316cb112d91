package org.vmqsc.plugin.server.host;

import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.mockStatic;

import com.cloud.event.ActionEventUtils;
import org.junit.Test;
import org.mockito.MockedStatic;

/** An automatic recovery is a completed VMQSC.RECOVERY event of CloudStack's system user and account. */
public class CloudStackEventsTest {

  @Test public void aRecoveryIsRecordedAsTheSystemsCompletedEvent() {
    try (MockedStatic<ActionEventUtils> events = mockStatic(ActionEventUtils.class)) {
      new CloudStackEvents().recovery(true, "recovered g");
      new CloudStackEvents().recovery(false, "could not recover h");

      events.verify(() -> ActionEventUtils.onCompletedActionEvent(1L, 1L, "INFO", "VMQSC.RECOVERY", "recovered g",
          null, null, 0));
      events.verify(() -> ActionEventUtils.onCompletedActionEvent(1L, 1L, "ERROR", "VMQSC.RECOVERY",
          "could not recover h", null, null, 0));
    }
  }

  @Test public void aDescriptionLongerThanCloudStacksColumnIsCut() {
    try (MockedStatic<ActionEventUtils> events = mockStatic(ActionEventUtils.class)) {
      new CloudStackEvents().recovery(false, "x".repeat(5000));

      events.verify(() -> ActionEventUtils.onCompletedActionEvent(eq(1L), eq(1L), eq("ERROR"), eq("VMQSC.RECOVERY"),
          eq("x".repeat(CloudStackEvents.MAX_DESCRIPTION - 3) + "..."), isNull(), isNull(), anyLong()));
    }
  }
}
