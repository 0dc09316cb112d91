package org.vmqsc.server.api;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.vmqsc.server.service.ProtectionService;

/**
 * The standalone manager's HTTP API in CloudStack's shape, on Jetty. Binds to 127.0.0.1 unless told otherwise:
 * the manager is reached from elsewhere only when an admin says so (and then, ideally, through a TLS proxy).
 */
public final class ApiServer implements AutoCloseable {

  public static final String DEFAULT_HOST = "127.0.0.1";

  private final Server jetty;
  private final ServerConnector connector;
  private final AsyncJobs jobs;
  private final java.util.Set<String> commandNames;

  /** @param port 0 for any free port */
  public ApiServer(ProtectionService service, HostDirectory hosts, Cluster cluster, ApiKeys keys,
                   String host, int port) {
    this(service, hosts, cluster, keys, host, port, null);
  }

  /** @param agents the agents' endpoints served next to the API (under their own path), or null */
  public ApiServer(ProtectionService service, HostDirectory hosts, Cluster cluster, ApiKeys keys,
                   String host, int port, org.eclipse.jetty.server.Handler agents) {
    this.jobs = new AsyncJobs(Clock.systemUTC());
    Map<String, Command> commands = new HashMap<>();
    GroupCommands groups = new GroupCommands(service, cluster);
    groups.register(commands);
    new MemberCommands(service, groups).register(commands);
    new HistoryCommands(service).register(commands);
    new ClusterCommands(service, jobs, cluster, groups).register(commands);
    new HostCommands(hosts).register(commands);
    ApiCatalog.register(commands);
    commandNames = java.util.Set.copyOf(commands.keySet());

    QueuedThreadPool threads = new QueuedThreadPool(16, 2); // a handful of admins and agents, on a small machine
    threads.setName("vmqsc-api");
    jetty = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    connector = new ServerConnector(jetty, 1, 1, new HttpConnectionFactory(http));
    connector.setHost(host);
    connector.setPort(port);
    jetty.addConnector(connector);
    ErrorHandler errors = new ErrorHandler(); // for what never reaches our handler (a malformed request line)
    errors.setShowStacks(false);
    errors.setShowMessageInTitle(false);
    jetty.setErrorHandler(errors);
    ApiHandler api = new ApiHandler(new Authenticator(keys, Clock.systemUTC()), Map.copyOf(commands));
    // The agents' handler takes only its own path; everything else is the API's (which answers 404 itself).
    jetty.setHandler(agents == null ? api : new org.eclipse.jetty.server.Handler.Sequence(agents, api));
  }

  /** On {@link #DEFAULT_HOST}. */
  public ApiServer(ProtectionService service, HostDirectory hosts, Cluster cluster, ApiKeys keys, int port) {
    this(service, hosts, cluster, keys, DEFAULT_HOST, port);
  }

  /** The commands served, lower-cased. */
  java.util.Set<String> commandNames() {
    return commandNames;
  }

  public ApiServer start() throws Exception {
    jetty.start();
    return this;
  }

  public int port() {
    return connector.getLocalPort();
  }

  public InetSocketAddress address() {
    return new InetSocketAddress(connector.getHost(), port());
  }

  /** The endpoint clients call, e.g. http://127.0.0.1:8080/client/api. */
  public URI endpoint() {
    String host = connector.getHost();
    // Bound to every interface: loopback reaches it too. An IPv6 literal needs brackets in a URI.
    if (host == null || host.equals("0.0.0.0") || host.equals("::")) host = DEFAULT_HOST;
    if (host.contains(":")) host = "[" + host + "]";
    return URI.create("http://" + host + ":" + port() + ApiHandler.PATH);
  }

  @Override
  public void close() throws Exception {
    try {
      jetty.stop();
    } finally {
      jobs.close();
    }
  }
}
