package org.apache.cloudstack.acl;

public interface ControlledEntity {
  long getAccountId();

  long getDomainId();
}
