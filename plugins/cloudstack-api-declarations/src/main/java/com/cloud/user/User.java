package com.cloud.user;

/** Declaration: only the constant this plugin names. */
public interface User {
  long UID_SYSTEM = 1;
}
