package com.cloud.event;

/** Declaration: CloudStack's server-side helper that records events in its event list (the UI's Events). */
public class ActionEventUtils {

  /** Records a completed event of {@code type} at {@code level} ("INFO", "ERROR") for the user and account. */
  public static Long onCompletedActionEvent(Long userId, Long accountId, String level, String type, String description,
                                            Long resourceId, String resourceType, long startEventId) {
    throw new UnsupportedOperationException("declaration only");
  }
}
