package com.cloud.utils.db;

import java.sql.Connection;

/** Only the method this plugin calls. */
public class TransactionLegacy {
  /** A connection of CloudStack's own pool on the cloud database; the caller closes it. Null when none could be had. */
  public static Connection getStandaloneConnection() {
    throw new UnsupportedOperationException("declaration only");
  }
}
