package org.apache.cloudstack.context;

import com.cloud.user.Account;

public class CallContext {
  public static CallContext current() {
    throw new UnsupportedOperationException("declaration only");
  }

  public Account getCallingAccount() {
    throw new UnsupportedOperationException("declaration only");
  }

  public long getCallingAccountId() {
    throw new UnsupportedOperationException("declaration only");
  }

  public long getCallingUserId() {
    throw new UnsupportedOperationException("declaration only");
  }

  public void setEventDetails(String eventDetails) {
    throw new UnsupportedOperationException("declaration only");
  }
}
