package com.cloud.user;

import org.apache.cloudstack.acl.ControlledEntity;
import org.apache.cloudstack.acl.SecurityChecker.AccessType;

/** Only the methods this plugin calls. */
public interface AccountService {
  boolean isRootAdmin(Long accountId);

  boolean isDomainAdmin(Long accountId);

  void checkAccess(Account account, AccessType accessType, boolean sameOwner, ControlledEntity... entities);
}
