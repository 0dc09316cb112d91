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
 * A logged-in XAPI connection to the pool master, and the rules for calling through it: a session XAPI no longer
 * knows (expired, or the master restarted) is replaced and the call made again; a master that does not answer is
 * tried again a few times, a little later each time, before the call fails. XAPI's own refusals are not retried:
 * they come back as {@link XapiException} with XAPI's error description.
 *
 * <p>Either it logs in itself ({@link #withPassword}) and out at {@link #close}, or it borrows connections from
 * their owner ({@link #borrowing}: CloudStack's Xen resource, whose pool logs in again by itself) and leaves their
 * session alone.
 */
public final class XapiSession implements AutoCloseable {

  /** A call on the binding. */
  @FunctionalInterface
  public interface Call<T> {
    T run(Connection connection) throws Types.XenAPIException, XmlRpcException;
  }

  /** Where logged-in connections come from. */
  @FunctionalInterface
  public interface Login {
    Connection open() throws Types.XenAPIException, XmlRpcException;
  }

  private final Login login;
  private final boolean owned;
  private final String who;
  private final int attempts;
  private final Duration firstBackoff;
  private Connection connection;

  private XapiSession(Login login, boolean owned, String who, int attempts, Duration firstBackoff) {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1, not " + attempts);
    }
    this.login = login;
    this.owned = owned;
    this.who = who;
    this.attempts = attempts;
    this.firstBackoff = firstBackoff;
  }

  /**
   * Logs in to {@code master} as {@code user}.
   *
   * @param attempts how many times a call is tried while the master does not answer (at least 1)
   * @param firstBackoff the wait before the second try; it doubles for each try after
   */
  public static XapiSession withPassword(URL master, String user, String password, int attempts,
      Duration firstBackoff) {
    Login login = () -> {
      Connection fresh = new Connection(master, 60, 5);
      Session.loginWithPassword(fresh, user, password, "2.0", "vmqsc");
      return fresh;
    };
    return new XapiSession(login, true, user + " at " + master, attempts, firstBackoff);
  }

  /** Calls through connections someone else logs in and out; asked for a fresh one when a session expired. */
  public static XapiSession borrowing(Login connections, String describedAs, int attempts, Duration firstBackoff) {
    return new XapiSession(connections, false, describedAs, attempts, firstBackoff);
  }

  /** The master's base URL: the HTTP handlers ({@code /export_raw_vdi}, {@code /import_raw_vdi}) live there too. */
  public synchronized URL master() throws IOException {
    return call("a session", c -> c.getConfig().getServerURL());
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
          throw new IOException("XAPI (" + who + ") did not answer " + what + " (" + attempts + " tries): "
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
    try {
      connection = login.open();
    } catch (Types.XenAPIException refused) {
      throw new XapiException("XAPI refused the login of " + who, description(refused), refused);
    }
    if (connection == null) {
      throw new IOException("no XAPI connection for " + who);
    }
    return connection;
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

  /** Logs out a session of its own; a borrowed one is its owner's. A master that is gone has forgotten it anyway. */
  @Override public synchronized void close() {
    if (connection != null && owned) {
      try {
        Session.logout(connection);
      } catch (Types.XenAPIException | XmlRpcException ignored) {
        // the session dies with the master, or expires
      }
    }
    connection = null;
  }
}
