import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local, bound to 127.0.0.1 only, and tied to the process that started it.
 *
 * <p>DynamoDB Local's own main() listens on every interface and has no option to choose one. This
 * builds the same server from the same command-line options through its public ServerRunner, sets
 * the host of its Jetty connectors to loopback before starting it, and exits when its standard input
 * reaches end of file: the local runtime holds the other end of that pipe, so when the runtime dies,
 * even by kill -9, the kernel closes the pipe and the database goes with it.
 *
 * <p>Telemetry is never configured here, so none is sent (the options also carry -disableTelemetry).
 */
public final class LoopbackDynamoDbLocal {
  private static final String LOOPBACK = "127.0.0.1";

  private LoopbackDynamoDbLocal() {}

  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Server jetty = jettyOf(proxy);
    for (Connector connector : jetty.getConnectors()) {
      if (!(connector instanceof ServerConnector)) {
        throw new IllegalStateException("unexpected connector " + connector.getClass().getName());
      }
      ((ServerConnector) connector).setHost(LOOPBACK);
    }
    exitWhenStdinCloses(proxy);
    // safeStart, unlike start, throws when the port cannot be bound instead of printing and returning.
    proxy.safeStart();
    for (Connector connector : jetty.getConnectors()) {
      NetworkConnector network = (NetworkConnector) connector;
      System.out.println("quell-dynamodb-local listening on " + network.getHost() + ":" + network.getLocalPort());
    }
    System.out.flush();
    proxy.join();
  }

  /** The Jetty server inside DynamoDBProxyServer (a private field: there is no accessor). */
  private static Server jettyOf(DynamoDBProxyServer proxy) throws ReflectiveOperationException {
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    return (Server) field.get(proxy);
  }

  private static void exitWhenStdinCloses(DynamoDBProxyServer proxy) {
    Thread watchdog =
        new Thread(
            () -> {
              InputStream in = System.in;
              byte[] buffer = new byte[64];
              try {
                while (in.read(buffer) >= 0) {
                  // the runtime never writes; anything read is ignored
                }
              } catch (IOException closed) {
                // a broken pipe is the same news as end of file
              }
              try {
                proxy.stop();
              } catch (Exception ignored) {
                // exiting anyway
              }
              System.exit(0);
            },
            "quell-parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }
}
