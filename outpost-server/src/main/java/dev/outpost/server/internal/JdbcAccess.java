package dev.outpost.server.internal;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * How a JDBC store runs one piece of work: a read on its read path, a write in its own committed
 * transaction (rolled back if the work throws). Failures come out as {@link StoreException}.
 * {@link JdbcDeviceStore} is written once on top of it for SQLite and PostgreSQL alike.
 */
interface JdbcAccess {

  /** JDBC work on a connection the store lends for the call. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  <T> T read(Work<T> work);

  <T> T write(Work<T> work);
}
