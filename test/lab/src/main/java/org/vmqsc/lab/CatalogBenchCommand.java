package org.vmqsc.lab;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.vmqsc.server.service.Views;
import org.vmqsc.db.EmbeddedDatabase;
import org.vmqsc.db.Migrator;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.VmClass;
import org.vmqsc.server.service.BoundaryReport;
import org.vmqsc.server.service.HostReport;
import org.vmqsc.server.catalog.Catalog;
import org.vmqsc.server.service.Views.GroupView;
import org.vmqsc.server.service.Views.ReportResult;
import org.vmqsc.server.persistence.CatalogDatabase;
import org.vmqsc.server.service.RecoveryPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./vmqsc bench catalog}: how fast the catalog ingests checkpoint reports and how long the batch that
 * moves a group's recovery line takes, for a deployment of {@code --vms} VMs on MariaDB.
 *
 * <p>Reports arrive as hosts send them: at each boundary every host sends, for each group it runs VMs of, one
 * {@link HostReport} with all those VMs' reports (staged), and later one more (stable); the catalog records each
 * in one transaction. The stable batch that completes a group's boundary moves its line. The baseline, run right
 * after on the same database, pool and threads, is the cheapest durable way to store the same batches: the same
 * rows as one plain multi-row INSERT and one COMMIT per batch, no lock, no checks, no line.
 */
@Command(name = "catalog", mixinStandardHelpOptions = true,
    description = "Checkpoint-report ingestion rate and line-advance latency of the catalog on MariaDB.")
public final class CatalogBenchCommand implements Callable<Integer> {


  @Option(names = "--vms", description = "VMs in the deployment (default: ${DEFAULT-VALUE})", defaultValue = "10000")
  int vms;

  @Option(names = "--group-size", description = "VMs per protection group (default: ${DEFAULT-VALUE})",
      defaultValue = "50")
  int groupSize;

  @Option(names = "--boundaries", description = "base boundaries to report (default: ${DEFAULT-VALUE})",
      defaultValue = "3")
  int boundaries;

  @Option(names = "--vms-per-host", description = "VMs per host; a host sends one batch per group it runs VMs of"
      + " (default: ${DEFAULT-VALUE})", defaultValue = "100")
  int vmsPerHost;

  @Option(names = "--threads", description = "concurrent reporting connections (default: ${DEFAULT-VALUE})",
      defaultValue = "8")
  int threads;

  /** --url, --user, --password, --home: the same database options as {@code ./vmqsc db}. */
  @picocli.CommandLine.Mixin DbCommand.Target target = new DbCommand.Target();

  @Option(names = "--seed", defaultValue = "1", description = "seed of the report order")
  long seed;

  @Override public Integer call() throws Exception {
    // Hibernate's start-up notes and one line per registered VM would bury the figures.
    System.setProperty("org.jboss.logging.provider", "slf4j");
    System.setProperty("org.slf4j.simpleLogger.log.org.vmqsc.server.catalog", "warn");
    if (vms < 1 || groupSize < 1 || boundaries < 1 || threads < 1 || vmsPerHost < 1) {
      throw new IllegalArgumentException("--vms, --group-size, --vms-per-host, --boundaries and --threads must be >= 1");
    }
    if (vms > 10_000_000 || boundaries > 1_000_000 || threads > 256) {
      throw new IllegalArgumentException("--vms must be at most 10000000, --boundaries at most 1000000 and --threads"
          + " at most 256");
    }
    target.checked();
    if (target.url != null) {
      return run(target.url, target.user, target.password); // its vmqsc_ tables get benchmark rows
    }
    try (EmbeddedDatabase embedded = EmbeddedDatabase.start(
        target.home != null ? target.home : EmbeddedDatabase.defaultHome(), 0)) {
      dropLeftovers(embedded);
      String benchUrl = embedded.createDatabase("vmqsc_bench_" + System.currentTimeMillis());
      try {
        return run(benchUrl, embedded.user(), embedded.password());
      } finally {
        drop(embedded, benchUrl);
      }
    }
  }

  private int run(String jdbcUrl, String dbUser, String dbPassword) throws Exception {
    System.out.printf(Locale.ROOT, "machine: %d cores, Java %s, %s %s%n", Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"), System.getProperty("os.name"), System.getProperty("os.arch"));
    try (HikariDataSource pool = CatalogDatabase.pooledDataSource(jdbcUrl, dbUser, dbPassword, threads + 2)) {
      System.out.println(new Migrator(pool).migrate());
      try (CatalogDatabase database = CatalogDatabase.open(pool)) {
        Catalog catalog = new Catalog(database, "bench");
        // A small deployment of its own warms both runs up (JIT, the driver, the server's caches) first, unmeasured.
        List<HostReport> warmUp = batches(register(catalog, "bench-warmup-", Math.min(vms, 40 * groupSize)));
        ingest(catalog, warmUp, 0);
        baseline(pool, warmUp, 0);
        List<Group> groups = register(catalog, "bench-", vms);
        List<HostReport> batches = batches(groups);
        int reports = batches.stream().mapToInt(b -> b.boundaries().size()).sum();

        // Each measured run starts on a collected heap: the reports built for it (tens of MB) are then old data, not
        // copied by the first young collections inside the run. The same for both runs.
        System.gc();
        Result catalogRun = ingest(catalog, batches, reports);
        System.gc();
        Result baseline = baseline(pool, batches, reports);

        print(groups.size(), batches.size(), reports, catalogRun, baseline);
      }
    }
    return 0;
  }

  /** A group and its VMs' classes and hosts, in member order. */
  private record Group(String uuid, List<String> vmUuids, List<VmClass> classes, List<String> hosts) {}

  private List<Group> register(Catalog catalog, String prefix, int vms) throws Exception {
    int groupCount = (vms + groupSize - 1) / groupSize;
    System.out.printf(Locale.ROOT, "registering %d VMs in %d groups of up to %d (%s)...%n", vms, groupCount,
        groupSize, prefix + "*");
    long start = System.nanoTime();
    List<Callable<Group>> work = new ArrayList<>();
    for (int g = 0; g < groupCount; g++) {
      int first = g * groupSize;
      int size = Math.min(groupSize, vms - first);
      int index = g;
      work.add(() -> {
        GroupView group = catalog.createGroup(prefix + index, 1000, RecoveryPolicy.AUTOMATIC, null);
        List<String> vmUuids = new ArrayList<>();
        List<VmClass> classes = new ArrayList<>();
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < size; i++) {
          // Two in three VMs are communication-heavy (SI), the rest checkpoint every other boundary (MI_2).
          VmClass vmClass = (first + i) % 3 == 2 ? VmClass.mi(2) : VmClass.SI;
          String vm = prefix + "vm-" + (first + i);
          String host = prefix + "host-" + (first + i) / vmsPerHost;
          catalog.addVm(group.uuid(), vm, vmClass.toString(), host);
          vmUuids.add(vm);
          classes.add(vmClass);
          hosts.add(host);
        }
        return new Group(group.uuid(), vmUuids, classes, hosts);
      });
    }
    List<Group> groups = runAll(work);
    System.out.printf(Locale.ROOT, "registered in %.1f s%n", (System.nanoTime() - start) / 1e9);
    return groups;
  }

  /**
   * Per boundary: every host's staged batch for each of its groups, in random order, then every stable batch in
   * random order.
   */
  private List<HostReport> batches(List<Group> groups) {
    Random random = new Random(seed);
    List<HostReport> all = new ArrayList<>();
    for (int index = 0; index < boundaries; index++) {
      List<HostReport> staged = new ArrayList<>();
      List<HostReport> stable = new ArrayList<>();
      for (Group group : groups) {
        long[] zero = new long[group.vmUuids().size()];
        Map<String, List<BoundaryReport>> byHost = new LinkedHashMap<>();
        for (int vm = 0; vm < group.vmUuids().size(); vm++) {
          boolean due = group.classes().get(vm).isDueAt(index);
          String name = group.vmUuids().get(vm) + "/" + index;
          byHost.computeIfAbsent(group.hosts().get(vm), h -> new ArrayList<>()).add(new BoundaryReport(
              group.vmUuids().get(vm), due ? BoundaryKind.CHECKPOINT : BoundaryKind.LOG_SEGMENT, index, 0, false,
              false, 64L << 20, "host://" + name, "sha256:" + name.hashCode(), index * 1000L, 0, zero, zero));
        }
        byHost.forEach((host, reports) -> {
          staged.add(new HostReport(host, group.uuid(), reports, List.of()));
          stable.add(new HostReport(host, group.uuid(), reports.stream()
              .map(r -> r.asStable("stable://" + r.vmUuid() + "/" + r.index())).toList(), List.of()));
        });
      }
      Collections.shuffle(staged, random);
      Collections.shuffle(stable, random);
      all.addAll(staged);
      all.addAll(stable);
    }
    return all;
  }

  /** What one run measured: wall time, every call's latency, and the latency of the calls that moved a line. */
  private record Result(double seconds, List<Double> latenciesMs, List<Double> lineMovesMs) {
    double perSecond(int reports) {
      return reports / seconds;
    }
  }

  private Result ingest(Catalog catalog, List<HostReport> batches, int reports) throws Exception {
    if (reports > 0) {
      System.out.printf(Locale.ROOT, "catalog: %d reports in %d host batches over %d boundaries, %d threads...%n",
          reports, batches.size(), boundaries, threads);
    }
    double[] latency = new double[batches.size()];
    boolean[] movedLine = new boolean[batches.size()];
    AtomicInteger next = new AtomicInteger();
    int progressStep = Math.max(1, batches.size() / 10);
    long start = System.nanoTime();
    runAll(Collections.nCopies(threads, () -> {
      for (int i = next.getAndIncrement(); i < batches.size(); i = next.getAndIncrement()) {
        long t0 = System.nanoTime();
        ReportResult result = catalog.report(batches.get(i));
        latency[i] = (System.nanoTime() - t0) / 1e6;
        movedLine[i] = result.lineMoved() != null;
        if (reports > 0 && (i + 1) % progressStep == 0) {
          System.out.printf(Locale.ROOT, "  %3d%% of batches sent%n", (i + 1) * 100L / batches.size());
        }
      }
      return null;
    }));
    double seconds = (System.nanoTime() - start) / 1e9;
    List<Double> all = new ArrayList<>();
    List<Double> moves = new ArrayList<>();
    for (int i = 0; i < latency.length; i++) {
      all.add(latency[i]);
      if (movedLine[i]) moves.add(latency[i]);
    }
    return new Result(seconds, all, moves);
  }

  /** The same batches as plain multi-row INSERT + COMMIT into a table of the same shape. */
  private Result baseline(HikariDataSource pool, List<HostReport> batches, int reports) throws Exception {
    if (reports > 0) {
      System.out.printf(Locale.ROOT, "baseline: the same %d reports as one plain multi-row INSERT + COMMIT per"
          + " batch...%n", reports);
    }
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS bench_baseline_report (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
          + " vm_uuid VARCHAR(255) NOT NULL, csn BIGINT NOT NULL, state VARCHAR(16) NOT NULL,"
          + " location VARCHAR(1024) NOT NULL, content_digest VARCHAR(128) NOT NULL, sent_counts MEDIUMTEXT NOT NULL)"
          + " ENGINE=InnoDB");
      c.commit();
    }
    double[] latency = new double[batches.size()];
    AtomicInteger next = new AtomicInteger();
    long start = System.nanoTime();
    runAll(Collections.nCopies(threads, () -> {
      try (Connection c = pool.getConnection()) {
        for (int i = next.getAndIncrement(); i < batches.size(); i = next.getAndIncrement()) {
          List<BoundaryReport> rows = batches.get(i).boundaries();
          long t0 = System.nanoTime();
          StringBuilder sql = new StringBuilder("INSERT INTO bench_baseline_report"
              + " (vm_uuid, csn, state, location, content_digest, sent_counts) VALUES ");
          for (int r = 0; r < rows.size(); r++) sql.append(r == 0 ? "" : ",").append("(?, ?, ?, ?, ?, ?)");
          try (PreparedStatement insert = c.prepareStatement(sql.toString())) {
            int p = 1;
            for (BoundaryReport r : rows) {
              insert.setString(p++, r.vmUuid());
              insert.setLong(p++, r.index());
              insert.setString(p++, r.stable() ? "STABLE" : "STAGED");
              insert.setString(p++, r.location());
              insert.setString(p++, r.contentDigest());
              insert.setString(p++, Arrays.toString(r.sentTo()));
            }
            insert.executeUpdate();
          }
          c.commit();
          latency[i] = (System.nanoTime() - t0) / 1e6;
        }
      }
      return null;
    }));
    double seconds = (System.nanoTime() - start) / 1e9;
    List<Double> all = new ArrayList<>();
    for (double l : latency) all.add(l);
    return new Result(seconds, all, List.of());
  }

  private void print(int groups, int batches, int reports, Result catalog, Result baseline) {
    double rate = catalog.perSecond(reports);
    double baseRate = baseline.perSecond(reports);
    System.out.println();
    System.out.printf(Locale.ROOT, "%d VMs, %d groups of %d, %d VMs per host, %d boundaries, %d threads,"
        + " %d reports in %d host batches%n", vms, groups, groupSize, vmsPerHost, boundaries, threads, reports,
        batches);
    System.out.printf(Locale.ROOT, "reports/s: %.0f%n", rate);
    System.out.printf(Locale.ROOT, "line-advance p50 ms: %.1f%n", percentile(catalog.lineMovesMs(), 50));
    System.out.printf(Locale.ROOT, "line-advance p99 ms: %.1f%n", percentile(catalog.lineMovesMs(), 99));
    System.out.printf(Locale.ROOT, "line advances: %d%n", catalog.lineMovesMs().size());
    System.out.printf(Locale.ROOT, "batch p50 ms: %.1f, p99 ms: %.1f%n", percentile(catalog.latenciesMs(), 50),
        percentile(catalog.latenciesMs(), 99));
    System.out.printf(Locale.ROOT, "baseline (plain multi-row INSERT + COMMIT per batch) reports/s: %.0f,"
        + " batch p99 ms: %.1f%n", baseRate, percentile(baseline.latenciesMs(), 99));
    System.out.printf(Locale.ROOT, "catalog / baseline throughput: %.2f%n", rate / baseRate);
    double max = Math.max(rate, baseRate);
    System.out.println();
    System.out.println("reports per second");
    System.out.println(bar("catalog (lock, keeper, line)", rate, max));
    System.out.println(bar("baseline (INSERT + COMMIT)", baseRate, max));
  }

  private static String bar(String label, double value, double max) {
    int filled = (int) Math.round(40 * value / max);
    return String.format(Locale.ROOT, "  %-30s |%-40s| %.0f", label, "#".repeat(filled), value);
  }

  /** Nearest-rank percentile. */
  private static double percentile(List<Double> values, double p) {
    if (values.isEmpty()) return Double.NaN;
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  private <T> List<T> runAll(List<Callable<T>> work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<T>> futures = pool.invokeAll(work);
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) results.add(f.get());
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  /** A run whose database server was killed could not drop its database: the next run does. */
  private static void dropLeftovers(EmbeddedDatabase embedded) {
    List<String> left = new ArrayList<>();
    try (Connection c = java.sql.DriverManager.getConnection(embedded.jdbcUrl(""), embedded.user(),
        embedded.password()); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SHOW DATABASES LIKE 'vmqsc\\_bench\\_%'")) {
        while (rs.next()) left.add(rs.getString(1));
      }
      for (String name : left) s.execute("DROP DATABASE IF EXISTS `" + name + "`");
      if (!left.isEmpty()) System.out.println("dropped " + left.size() + " benchmark database(s) an earlier run left");
    } catch (SQLException e) {
      System.err.println("vmqsc: could not look for earlier benchmark databases: " + e.getMessage());
    }
  }

  private static void drop(EmbeddedDatabase embedded, String benchUrl) {
    String name = benchUrl.substring(benchUrl.lastIndexOf('/') + 1);
    try (Connection c = java.sql.DriverManager.getConnection(embedded.jdbcUrl(""), embedded.user(),
        embedded.password()); Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS `" + name + "`");
    } catch (SQLException e) {
      System.err.println("vmqsc: could not drop the benchmark database " + name + " (the next run drops it): " + e.getMessage());
    }
  }
}
