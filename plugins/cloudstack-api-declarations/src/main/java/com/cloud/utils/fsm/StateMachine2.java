package com.cloud.utils.fsm;

/** Only the listener registration and the transition type this plugin uses. */
public class StateMachine2<S, E, V extends StateObject<S>> {
  public boolean registerListener(StateListener<S, E, V> listener) {
    throw new UnsupportedOperationException("declaration only");
  }

  public static class Transition<S, E> {
    private final S currentState;
    private final E event;
    private final S toState;

    public Transition(S currentState, E event, S toState, java.util.List<Impact> impacts) {
      this.currentState = currentState;
      this.event = event;
      this.toState = toState;
    }

    public S getCurrentState() {
      return currentState;
    }

    public E getEvent() {
      return event;
    }

    public S getToState() {
      return toState;
    }

    public enum Impact {
      USAGE
    }
  }
}
