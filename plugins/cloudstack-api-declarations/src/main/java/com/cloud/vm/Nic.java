package com.cloud.vm;

import org.apache.cloudstack.api.Identity;
import org.apache.cloudstack.api.InternalIdentity;

/** Only the method this plugin calls. */
public interface Nic extends Identity, InternalIdentity {
  String getMacAddress();
}
