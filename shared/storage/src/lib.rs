//! Storage layer over `object_store`: stores, tenants, manifests, the Parquet layouts.
