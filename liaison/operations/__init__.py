"""Keeping a running Liaison whole: backups and restores, the health probe, the data folder's
start-up check, and the pages shown when the disk or the database fails."""
