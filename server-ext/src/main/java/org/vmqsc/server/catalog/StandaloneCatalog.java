package org.vmqsc.server.catalog;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmqsc.db.EmbeddedDatabase;
import org.vmqsc.db.Migrator;
import org.vmqsc.server.persistence.CatalogDatabase;

/**
 * The catalog as the standalone manager starts it: on the database at a JDBC URL if one is given, else on the
 * embedded MariaDB in {@code home} (started here, its data kept across restarts); the schema migrated at start-up;
 * a HikariCP pool; everything stopped again by {@link #close()}.
 */
public final class StandaloneCatalog implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StandaloneCatalog.class);

  private final EmbeddedDatabase embedded;
  private final HikariDataSource pool;
  private final CatalogDatabase database;
  private final Catalog catalog;

  private StandaloneCatalog(EmbeddedDatabase embedded, HikariDataSource pool, CatalogDatabase database,
      Catalog catalog) {
    this.embedded = embedded;
    this.pool = pool;
    this.database = database;
    this.catalog = catalog;
  }

  /**
   * @param jdbcUrl  the database to use, or null for the embedded MariaDB in {@code home}
   * @param home     the embedded database's home (ignored with a URL); null for {@code ~/.vmqsc/mariadb}
   */
  public static StandaloneCatalog open(String jdbcUrl, String user, String password, Path home, String managerId,
      int poolSize) {
    EmbeddedDatabase embedded = null;
    HikariDataSource pool = null;
    try {
      if (jdbcUrl == null) {
        embedded = EmbeddedDatabase.start(home != null ? home : EmbeddedDatabase.defaultHome(), 0);
        jdbcUrl = embedded.createDatabase("vmqsc");
        user = embedded.user();
        password = embedded.password();
      }
      pool = CatalogDatabase.pooledDataSource(jdbcUrl, user, password, Math.max(3, poolSize));
      log.info("{}", new Migrator(pool).migrate());
      CatalogDatabase database = CatalogDatabase.open(pool);
      return new StandaloneCatalog(embedded, pool, database, new Catalog(database, managerId));
    } catch (RuntimeException e) {
      if (pool != null) pool.close();
      if (embedded != null) embedded.stop();
      throw e;
    }
  }

  public Catalog catalog() {
    return catalog;
  }

  public DataSource dataSource() {
    return pool;
  }

  @Override public void close() {
    database.close();
    pool.close();
    if (embedded != null) embedded.stop();
  }
}
