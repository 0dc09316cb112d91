package org.vmqsc.agent.xen;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.Types;
import java.io.IOException;
import java.net.URL;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.apache.xmlrpc.XmlRpcException;

/**
 * One logged-in XAPI session with the pool master, and the rules for calling through it: a session XAPI no longer
 * knows (expired, or the master restarted) is replaced by a new login and the call made again; a master that does
 * not answer is tried again a few times, a little later each time, before the call fails. XAPI's own refusals are
 * not retried: they come back as {@link XapiException} with XAPI's error description.
 */
public final class XapiSession implements AutoCloseable {

  /** A call on the binding. */
  @FunctionalInterface
  public interface Call<T> {
    T run(Connection connection) throws Types.XenAPIException, XmlRpcException;
  }

  private final URL master;
  private final String user;
  private final String password;
  private final int attempts;
  private final Duration firstBackoff;
  private Connection connection;

  /**
   * @param attempts how many times a call is tried while the master does not answer (at least 1)
   * @param firstBackoff the wait before the second try; it doubles for each try after
   */
  public XapiSession(URL master, String user, String password, int attempts, Duration firstBackoff) {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1, not " + attempts);
    }
    this.master = master;
    this.user = user;
    this.password = password;
    this.attempts = attempts;
    this.firstBackoff = firstBackoff;
  }

  /** The master's base URL: the HTTP handlers ({@code /export_raw_vdi}, {@code /import_raw_vdi}) live there too. */
  public URL master() {
    return master;
  }

  /** The session reference for HTTP calls, logging in if there is none. */
  public synchronized String reference() throws IOException {
    return call("a session", Connection::getSessionReference);
  }

  /** Logs in again: an HTTP handler answered that the session is not valid. */
  public synchronized void renew() throws IOException {
    connection = null;
    reference();
  }

  /** Runs {@code call}, logging in again once if XAPI says the session is invalid. */
  public synchronized <T> T call(String what, Call<T> call) throws IOException {
    boolean renewed = false;
    for (int attempt = 1; ; attempt++) {
      try {
        return call.run(connection());
      } catch (Types.SessionInvalid expired) {
        if (renewed) {
          throw new XapiException("XAPI refused a fresh session for " + what, List.of("SESSION_INVALID"), expired);
        }
        renewed = true;
        connection = null;
        attempt--;  // an expired session is not the master failing to answer
      } catch (Types.XenAPIException refused) {
        throw new XapiException("XAPI refused " + what, description(refused), refused);
      } catch (XmlRpcException unreachable) {
        if (attempt >= attempts) {
          throw new IOException("XAPI at " + master + " did not answer " + what + " (" + attempts + " tries): "
              + rootMessage(unreachable), unreachable);
        }
        connection = null;  // the next try logs in afresh: the master may have restarted meanwhile
        sleep(firstBackoff.multipliedBy(1L << (attempt - 1)), what);
      }
    }
  }

  /** The logged-in connection; a master that does not answer the login throws, for {@link #call} to retry. */
  private Connection connection() throws IOException, XmlRpcException {
    if (connection != null) {
      return connection;
    }
    Connection fresh = new Connection(master, 60, 5);
    try {
      Session.loginWithPassword(fresh, user, password, "2.0", "vmqsc");
    } catch (Types.XenAPIException refused) {
      throw new XapiException("XAPI at " + master + " refused the login of " + user, description(refused), refused);
    }
    connection = fresh;
    return fresh;
  }

  /**
   * XAPI's error description. For the errors the binding knows it throws a class of its own and keeps only a prose
   * text; the code is that class's name in XAPI's spelling ({@code HandleInvalid} is {@code HANDLE_INVALID}).
   */
  static List<String> description(Types.XenAPIException e) {
    if (e.errorDescription != null) {
      return Arrays.asList(e.errorDescription);
    }
    String code = e.getClass() == Types.XenAPIException.class ? ""
        : e.getClass().getSimpleName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase();
    return code.isEmpty() ? List.of(e.shortDescription) : List.of(code, e.shortDescription);
  }

  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
  }

  private static void sleep(Duration pause, String what) throws IOException {
    try {
      Thread.sleep(pause.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while retrying " + what, e);
    }
  }

  /** Logs out; a master that is gone already has forgotten the session. */
  @Override public synchronized void close() {
    if (connection != null) {
      try {
        Session.logout(connection);
      } catch (Types.XenAPIException | XmlRpcException ignored) {
        // the session dies with the master, or expires
      }
      connection = null;
    }
  }
}
