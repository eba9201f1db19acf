"""The DuckDB warehouse: schema, migrations, documented views and every query the app uses."""
from warehouse.store import SCHEMA_VERSION, AlreadyRunning, Reader, connect_read, etl_lock, migrate, write_session

__all__ = ["SCHEMA_VERSION", "AlreadyRunning", "Reader", "connect_read", "etl_lock", "migrate", "write_session"]
