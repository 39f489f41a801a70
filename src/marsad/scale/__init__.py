"""Scaling marsad out: several processes on one machine (workers), Ray Data on a cluster (ray_engine), and
the Parquet event shards they exchange (shards). docs/scale.md has the commands and a worked cluster run."""
