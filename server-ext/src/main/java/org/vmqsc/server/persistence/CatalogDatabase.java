package org.vmqsc.server.persistence;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.function.Function;
import javax.sql.DataSource;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.hibernate.cfg.AvailableSettings;
import org.hibernate.cfg.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hibernate over a DataSource that someone else owns (HikariCP standalone, CloudStack's {@code cloud} pool in the
 * plugin), and the one way the catalog touches it: {@link #inTransaction}.
 */
public final class CatalogDatabase implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CatalogDatabase.class);

  /** Whether a unit of work may run again after a failure whose commit we cannot see. */
  public enum Retry {
    /** Running it twice changes nothing (reports, line moves, collection, reads): retry lost connections too. */
    IDEMPOTENT,
    /** Retry only failures that certainly rolled back (deadlock, lock wait timeout); a lost connection is thrown. */
    ONLY_ROLLED_BACK
  }

  private final SessionFactory sessionFactory;
  private final RetryPolicy retryPolicy;

  private CatalogDatabase(SessionFactory sessionFactory, RetryPolicy retryPolicy) {
    this.sessionFactory = sessionFactory;
    this.retryPolicy = retryPolicy;
  }

  /** Hibernate on {@code dataSource}, whose schema {@code org.vmqsc.db.Migrator} has brought up to date. */
  public static CatalogDatabase open(DataSource dataSource) {
    return open(dataSource, RetryPolicy.DEFAULT);
  }

  public static CatalogDatabase open(DataSource dataSource, RetryPolicy retryPolicy) {
    Configuration configuration = new Configuration()
        .addAnnotatedClass(ProtectionGroupEntity.class)
        .addAnnotatedClass(GroupMemberEntity.class)
        .addAnnotatedClass(CheckpointEntity.class)
        .addAnnotatedClass(LogSegmentEntity.class)
        .addAnnotatedClass(LoggedMessageEntity.class)
        .addAnnotatedClass(RecoveryLineEntity.class)
        .addAnnotatedClass(RecoveryLineEntryEntity.class)
        .addAnnotatedClass(RecoveryEventEntity.class);
    configuration.getProperties().put(AvailableSettings.JAKARTA_NON_JTA_DATASOURCE, dataSource);
    // The schema belongs to the Flyway migrations; Hibernate never changes it.
    configuration.setProperty(AvailableSettings.HBM2DDL_AUTO, "none");
    configuration.setProperty(AvailableSettings.JDBC_TIME_ZONE, "UTC");
    configuration.setProperty(AvailableSettings.STATEMENT_BATCH_SIZE, "50");
    configuration.setProperty(AvailableSettings.ORDER_INSERTS, "true");
    configuration.setProperty(AvailableSettings.ORDER_UPDATES, "true");
    return new CatalogDatabase(configuration.buildSessionFactory(), retryPolicy);
  }

  /** A HikariCP pool for the standalone manager (the plugin uses CloudStack's pool instead). */
  public static HikariDataSource pooledDataSource(String jdbcUrl, String user, String password, int poolSize) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(poolSize);
    config.setPoolName("vmqsc-catalog");
    // Every unit of work is an explicit transaction.
    config.setAutoCommit(false);
    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    // Give up on a dead server quickly; the retry loop above the pool decides how long to keep trying.
    config.setConnectionTimeout(2_000);
    config.setValidationTimeout(1_000);
    // Start even when the database is not up yet: the first unit of work waits for it through the retries.
    config.setInitializationFailTimeout(-1);
    return new HikariDataSource(config);
  }

  /**
   * Runs {@code work} in one transaction: all of its changes commit together or none does. Failures that leave
   * nothing behind (deadlock, lock timeout and, for {@link Retry#IDEMPOTENT} work, a lost connection or a
   * database that is restarting) are retried with back-off; anything else is thrown at once.
   */
  public <T> T inTransaction(Retry retry, Function<Session, T> work) {
    int attempt = 0;
    long deadline = System.nanoTime() + retryPolicy.maxWait().toNanos();
    while (true) {
      attempt++;
      try {
        return sessionFactory.fromTransaction(work);
      } catch (RuntimeException e) {
        Transience transience = Transience.of(e);
        boolean retryable = transience == Transience.ROLLED_BACK
            || (transience == Transience.CONNECTION_LOST && retry == Retry.IDEMPOTENT);
        if (!retryable || System.nanoTime() > deadline) {
          throw e;
        }
        log.warn("transaction attempt {} failed ({}); retrying: {}", attempt, transience, rootMessage(e));
        sleep(retryPolicy.backoff(attempt));
      }
    }
  }

  /** Runs a read-only unit of work; reads are always safe to retry. */
  public <T> T read(Function<Session, T> work) {
    return inTransaction(Retry.IDEMPOTENT, session -> {
      session.setDefaultReadOnly(true);
      return work.apply(session);
    });
  }

  @Override public void close() {
    sessionFactory.close();
  }

  /** What a failure says about the transaction it interrupted. */
  enum Transience {
    /** The database rolled the transaction back and told us: running it again is always safe. */
    ROLLED_BACK,
    /** The connection broke (server gone, killed, restarting): the commit may or may not have happened. */
    CONNECTION_LOST,
    /** A real error (constraint, bad input, bug): retrying would fail the same way. */
    PERMANENT;

    static Transience of(Throwable failure) {
      for (Throwable t = failure; t != null; t = t.getCause()) {
        if (t instanceof SQLTransientConnectionException) {
          return CONNECTION_LOST;
        }
        if (t instanceof SQLException sql) {
          int code = sql.getErrorCode();
          String state = sql.getSQLState();
          if (code == 1213 || code == 1205 || "40001".equals(state)) {
            return ROLLED_BACK; // deadlock, lock wait timeout
          }
          if ((state != null && state.startsWith("08")) || code == 1927 || code == 1053 || code == 2006
              || code == 2013) {
            return CONNECTION_LOST; // connection exception, killed connection, server shutdown, server gone
          }
        }
      }
      return PERMANENT;
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }

  private static void sleep(java.time.Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting to retry a transaction", e);
    }
  }
}
