package org.vmqsc.plugin.server.db;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.function.Supplier;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * CloudStack's own connection pool on the {@code cloud} database as a {@link DataSource}, for Flyway and the
 * catalog: no second pool, and the credentials are the ones CloudStack read (and decrypted) from db.properties.
 * Each connection comes from {@code TransactionLegacy.getStandaloneConnection()}; closing it returns it to the pool.
 */
public final class CloudStackDataSource implements DataSource {

  private final Supplier<Connection> pool;

  public CloudStackDataSource(Supplier<Connection> pool) {
    this.pool = pool;
  }

  @Override public Connection getConnection() throws SQLException {
    Connection c = pool.get();
    if (c == null) throw new SQLException("CloudStack's database pool gave no connection to the cloud database");
    return c;
  }

  @Override public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("connections come from CloudStack's pool, with its credentials");
  }

  @Override public PrintWriter getLogWriter() {
    return null;
  }

  @Override public void setLogWriter(PrintWriter out) {
  }

  @Override public void setLoginTimeout(int seconds) {
  }

  @Override public int getLoginTimeout() {
    return 0;
  }

  @Override public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override public <T> T unwrap(Class<T> type) throws SQLException {
    if (type.isInstance(this)) return type.cast(this);
    throw new SQLException("not a wrapper of " + type);
  }

  @Override public boolean isWrapperFor(Class<?> type) {
    return type.isInstance(this);
  }
}
