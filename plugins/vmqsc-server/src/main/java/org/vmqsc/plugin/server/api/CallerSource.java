package org.vmqsc.plugin.server.api;

import com.cloud.user.Account;
import org.apache.cloudstack.context.CallContext;

/** Who calls the API now: CloudStack's call context, or a test's account. */
@FunctionalInterface
public interface CallerSource {

  CallerSource CALL_CONTEXT = () -> CallContext.current().getCallingAccount();

  Account caller();
}
