package org.vmqsc.plugin.server.api.command;

import org.apache.cloudstack.context.CallContext;

/** What every command of the plugin does the same way. */
final class Commands {

  private Commands() {}

  /** The plugin's groups belong to no account: the caller owns the operation, as in CloudStack's admin APIs. */
  static long callerAccountId() {
    return CallContext.current().getCallingAccountId();
  }
}
