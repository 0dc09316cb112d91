package org.vmqsc.db;

/** The database was migrated by a newer vmqsc than this one; using it could corrupt data the newer code wrote. */
public final class SchemaTooNewException extends IllegalStateException {

  private final String databaseVersion;
  private final String codeVersion;

  public SchemaTooNewException(String databaseVersion, String codeVersion) {
    super("the vmqsc schema in this database is at version " + databaseVersion
        + ", newer than this vmqsc knows (" + codeVersion + "); run the vmqsc release that migrated it, or a newer one");
    this.databaseVersion = databaseVersion;
    this.codeVersion = codeVersion;
  }

  public String databaseVersion() {
    return databaseVersion;
  }

  public String codeVersion() {
    return codeVersion;
  }
}
