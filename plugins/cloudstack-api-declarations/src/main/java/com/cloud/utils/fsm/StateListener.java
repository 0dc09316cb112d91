package com.cloud.utils.fsm;

public interface StateListener<S, E, V> {
  boolean preStateTransitionEvent(S oldState, E event, S newState, V vo, boolean status, Object opaque);

  boolean postStateTransitionEvent(StateMachine2.Transition<S, E> transition, V vo, boolean status, Object opaque);
}
