package org.vmqsc.plugin.server.host;

import com.cloud.event.ActionEventUtils;
import com.cloud.user.Account;
import com.cloud.user.User;
import org.vmqsc.plugin.server.VmqscEventTypes;

/** Events recorded by CloudStack itself (its {@code event} table, the UI's Events), as the system account's. */
public final class CloudStackEvents implements CloudEvents {

  /** CloudStack's event description column holds 1024 characters. */
  static final int MAX_DESCRIPTION = 1024;

  @Override public void recovery(boolean succeeded, String description) {
    String text = description.length() <= MAX_DESCRIPTION ? description
        : description.substring(0, MAX_DESCRIPTION - 3) + "...";
    ActionEventUtils.onCompletedActionEvent(User.UID_SYSTEM, Account.ACCOUNT_ID_SYSTEM, succeeded ? "INFO" : "ERROR",
        VmqscEventTypes.RECOVERY, text, null, null, 0);
  }
}
