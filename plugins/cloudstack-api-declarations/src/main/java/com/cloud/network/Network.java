package com.cloud.network;

import org.apache.cloudstack.api.Identity;
import org.apache.cloudstack.api.InternalIdentity;

/** Only what this plugin uses: a network found by its uuid, for its id. */
public interface Network extends Identity, InternalIdentity {
  String getName();
}
