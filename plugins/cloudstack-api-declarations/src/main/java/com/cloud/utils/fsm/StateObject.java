package com.cloud.utils.fsm;

/** What CloudStack's state machines move: VMs, hosts. */
public interface StateObject<S> {
  S getState();
}
