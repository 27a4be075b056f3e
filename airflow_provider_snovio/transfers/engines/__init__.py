"""One module per warehouse engine beyond SQLite and PostgreSQL (which live in :mod:`..warehouse`).

Each module holds what differs on its engine, behind :class:`~..warehouse.UpsertDialect`: the upsert
construct and how a batch is sent, the column types that need the engine's own form, the per-scope write
lock, and (where no Airflow hook builds it) the SQLAlchemy engine of the Airflow connection. The sync loop
and the resources know none of it; :mod:`..warehouse` picks the module from the engine's dialect name.
"""
