"""The warehouse: where it lives (location), its schema, how it is opened (store), how the ETL writes (staging)."""
from warehouse.store import SCHEMA_VERSION, AlreadyRunning, Reader, connect_read, etl_lock, migrate, write_session

__all__ = ["SCHEMA_VERSION", "AlreadyRunning", "Reader", "connect_read", "etl_lock", "migrate", "write_session"]
