package org.apache.cloudstack.api;

public interface InternalIdentity {
  long getId();
}
