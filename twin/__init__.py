"""The digital twin: tables, store, event ingestion and the reference-network generator."""
