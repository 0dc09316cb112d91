package com.cloud.user;

import org.apache.cloudstack.acl.ControlledEntity;
import org.apache.cloudstack.api.Identity;
import org.apache.cloudstack.api.InternalIdentity;

public interface Account extends ControlledEntity, InternalIdentity, Identity {
  enum Type {
    NORMAL, ADMIN, DOMAIN_ADMIN, RESOURCE_DOMAIN_ADMIN, READ_ONLY_ADMIN, PROJECT, UNKNOWN
  }

  long ACCOUNT_ID_SYSTEM = 1;

  String getAccountName();

  Type getType();

  Long getRoleId();
}
